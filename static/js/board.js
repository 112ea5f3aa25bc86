/* The pipeline board: drag a card to move the deal, drop it on the lost zone to mark it lost.
 * The server answers a move with the refreshed card and every column header (htmx out-of-band
 * swaps); a refusal (4xx) puts the card back where it was and shows the server's message. */
(function () {
  "use strict";
  const board = document.getElementById("board");
  if (!board || typeof Sortable === "undefined") return;

  const owner = board.dataset.owner || "";
  const alertBox = document.getElementById("board-alert");
  const lostZone = document.getElementById("board-lost-zone");
  const lostModalEl = document.getElementById("lost-modal");
  const lostModal = bootstrap.Modal.getOrCreateInstance(lostModalEl);
  const lostForm = document.getElementById("lost-form");
  const lostReason = document.getElementById("lost-reason");
  const lostError = document.getElementById("lost-error");
  const lostDefaultError = lostError.textContent;
  let pendingLost = null; // the drop waiting for a reason; put back if the modal closes without one

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function showMessage(text, kind) {
    const div = document.createElement("div");
    div.className = "alert alert-" + (kind || "danger") + " alert-dismissible fade show py-2 mb-2";
    div.setAttribute("role", "alert");
    div.textContent = text; // server text, never parsed as markup
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close py-2";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", board.dataset.close || "Close");
    div.appendChild(close);
    alertBox.replaceChildren(div);
  }

  function putBack(evt) {
    // Sortable already moved the node; put it back at its old index in the old column.
    const ref = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, ref);
  }

  function post(url, data) {
    const body = new URLSearchParams(data);
    if (owner) body.set("owner", owner);
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
    }).then(function (response) {
      return response.text().then(function (text) {
        return { ok: response.ok, status: response.status, text: text };
      });
    });
  }

  function failed(result) {
    if (result.status === 404) return board.dataset.notFound || "This deal is no longer on your board.";
    return result.text || board.dataset.failed || "The change was refused.";
  }

  function setBusy(card, busy) {
    card.classList.toggle("board-card-busy", busy);
  }

  function move(evt) {
    const card = evt.item;
    setBusy(card, true);
    post(card.dataset.moveUrl, { stage: evt.to.dataset.stage })
      .then(function (result) {
        if (!result.ok) {
          putBack(evt);
          setBusy(card, false);
          showMessage(failed(result));
          return;
        }
        alertBox.replaceChildren();
        // The card is replaced by its refreshed copy; headers and totals swap out of band.
        htmx.swap(card, result.text, { swapStyle: "outerHTML" });
      })
      .catch(function () {
        putBack(evt);
        setBusy(card, false);
        showMessage(board.dataset.offline || "The server could not be reached; nothing was changed.");
      });
  }

  function askLost(evt) {
    pendingLost = evt;
    const title = evt.item.querySelector(".board-card-title");
    document.getElementById("lost-deal-title").textContent = title ? title.textContent : "";
    lostReason.value = "";
    lostReason.classList.remove("is-invalid");
    lostError.textContent = lostDefaultError;
    lostModal.show();
  }

  lostModalEl.addEventListener("shown.bs.modal", function () {
    lostReason.focus();
  });

  lostModalEl.addEventListener("hidden.bs.modal", function () {
    if (pendingLost) {
      putBack(pendingLost);
      pendingLost = null;
    }
  });

  lostForm.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!pendingLost) return;
    if (!lostReason.value.trim()) {
      lostReason.classList.add("is-invalid");
      lostReason.focus();
      return;
    }
    const evt = pendingLost;
    const submit = lostForm.querySelector("[type=submit]");
    submit.disabled = true;
    post(evt.item.dataset.lostUrl, { reason: lostReason.value })
      .then(function (result) {
        submit.disabled = false;
        if (!result.ok) {
          if (result.status === 400) {
            lostError.textContent = result.text;
            lostReason.classList.add("is-invalid");
            return; // the modal stays open for a reason
          }
          lostModal.hide(); // puts the card back
          showMessage(failed(result));
          return;
        }
        pendingLost = null;
        lostModal.hide();
        alertBox.replaceChildren();
        htmx.swap(evt.item, result.text, { swapStyle: "delete" });
      })
      .catch(function () {
        submit.disabled = false;
        lostModal.hide();
        showMessage(board.dataset.offline || "The server could not be reached; nothing was changed.");
      });
  });

  function onEnd(evt) {
    if (evt.to === evt.from) return;
    if (evt.to === lostZone) {
      askLost(evt);
    } else {
      move(evt);
    }
  }

  board.querySelectorAll(".board-cards").forEach(function (list) {
    const won = list.closest(".board-col-won") !== null;
    Sortable.create(list, {
      // Won deals stay put: they cannot go back to an open stage nor be lost.
      group: { name: "pipeline", pull: !won, put: true },
      sort: false,
      draggable: ".board-card",
      animation: 150,
      ghostClass: "board-card-ghost",
      chosenClass: "board-card-chosen",
      onEnd: onEnd,
    });
  });
  Sortable.create(lostZone, {
    group: { name: "pipeline", pull: false, put: true },
    sort: false,
    ghostClass: "board-card-ghost",
  });

  // A card moved into a column can come back in that column's next page; keep the one shown.
  htmx.onLoad(function (el) {
    if (!el.classList || !el.classList.contains("board-card")) return;
    document.querySelectorAll('[id="' + el.id + '"]').forEach(function (other) {
      if (other !== el && el.parentNode) el.remove();
    });
  });

  const filter = document.getElementById("board-owner");
  if (filter) {
    filter.addEventListener("change", function () {
      filter.form.submit();
    });
  }
})();
