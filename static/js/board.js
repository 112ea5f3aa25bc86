/* The pipeline board: drag a card to move the deal, drop it on the lost zone to mark it lost.
 * The server answers a move with the refreshed card and every column header (htmx out-of-band
 * swaps); a refusal (4xx) puts the card back where it was and shows the server's message.
 * A drop on the won column asks first; once won, an "Undo" toast offers for a few seconds to reopen
 * the deal in the stage it came from, at the version the win left it at. */
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
  const lostNote = document.getElementById("lost-note");
  const lostNoteHint = document.getElementById("lost-note-hint");
  const lostError = document.getElementById("lost-error");
  const lostDefaultError = lostError.textContent;
  let pendingLost = null; // the drop waiting for a reason; put back if the modal closes without one

  const winModalEl = document.getElementById("win-modal");
  const winModal = bootstrap.Modal.getOrCreateInstance(winModalEl);
  const winForm = document.getElementById("win-form");
  let pendingWin = null; // the drop on the won column waiting for a yes; put back on a no

  const undoToastEl = document.getElementById("undo-toast");
  const undoToast = bootstrap.Toast.getOrCreateInstance(undoToastEl, { autohide: false });
  const undoButton = document.getElementById("undo-button");
  const UNDO_SECONDS = 8;
  let undoState = null;
  let undoTimer = null;

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
    const dealId = card.dataset.deal;
    const fromStage = evt.from.dataset.stage;
    const winning = isWonColumn(evt.to);
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
        if (winning) offerUndo(dealId, fromStage);
      })
      .catch(function () {
        putBack(evt);
        setBusy(card, false);
        showMessage(board.dataset.offline || "The server could not be reached; nothing was changed.");
      });
  }

  function isWonColumn(list) {
    return list.closest(".board-col-won") !== null;
  }

  function cardTitle(card) {
    const title = card.querySelector(".board-card-title");
    return title ? title.textContent : "";
  }

  function askWin(evt) {
    pendingWin = evt;
    document.getElementById("win-deal-title").textContent = cardTitle(evt.item);
    winModal.show();
  }

  winModalEl.addEventListener("shown.bs.modal", function () {
    document.getElementById("win-confirm").focus();
  });

  winModalEl.addEventListener("hidden.bs.modal", function () {
    if (pendingWin) {
      putBack(pendingWin);
      pendingWin = null;
    }
  });

  winForm.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!pendingWin) return;
    const evt = pendingWin;
    pendingWin = null;
    winModal.hide();
    move(evt);
  });

  function startUndoTimer() {
    window.clearTimeout(undoTimer);
    undoTimer = window.setTimeout(endUndo, UNDO_SECONDS * 1000);
  }

  function endUndo() {
    window.clearTimeout(undoTimer);
    undoState = null;
    undoToast.hide();
  }

  function offerUndo(dealId, fromStage) {
    const card = document.getElementById("deal-card-" + dealId);
    if (!card) return;
    undoState = { id: dealId, stage: fromStage, url: card.dataset.reopenUrl, version: card.dataset.version };
    undoToast.show();
    undoButton.focus(); // the dialog that had the focus is gone; the next step is here
    startUndoTimer();
  }

  // The offer waits while the pointer or the keyboard is on it, and runs again once they leave.
  undoToastEl.addEventListener("mouseenter", function () {
    window.clearTimeout(undoTimer);
  });
  undoToastEl.addEventListener("focusin", function () {
    window.clearTimeout(undoTimer);
  });
  undoToastEl.addEventListener("mouseleave", function () {
    if (undoState && !undoToastEl.contains(document.activeElement)) startUndoTimer();
  });
  undoToastEl.addEventListener("focusout", function (e) {
    if (undoState && !undoToastEl.contains(e.relatedTarget)) startUndoTimer();
  });
  undoToastEl.addEventListener("hidden.bs.toast", function () {
    undoState = null;
  });

  undoButton.addEventListener("click", function () {
    if (!undoState) return;
    const state = undoState;
    endUndo();
    post(state.url, { stage: state.stage, version: state.version })
      .then(function (result) {
        if (!result.ok) {
          showMessage(failed(result));
          return;
        }
        const card = document.getElementById("deal-card-" + state.id);
        const column = document.getElementById("board-cards-" + state.stage);
        if (card && column) {
          column.prepend(card); // back in its column, then refreshed with the headers
          htmx.swap(card, result.text, { swapStyle: "outerHTML" });
        }
        showMessage(undoToastEl.dataset.undone || "Undone.", "success");
      })
      .catch(function () {
        showMessage(board.dataset.offline || "The server could not be reached; nothing was changed.");
      });
  });

  function noteNeeded() {
    const option = lostReason.selectedOptions[0];
    return Boolean(option && option.hasAttribute("data-needs-note"));
  }

  function showNoteHint() {
    lostNoteHint.textContent = noteNeeded() ? lostNote.dataset.required : lostNote.dataset.optional;
    lostNote.required = noteNeeded();
  }

  function lostInvalid(field, message) {
    field.classList.add("is-invalid");
    lostError.textContent = message || lostDefaultError;
    lostError.hidden = false;
    field.focus();
  }

  lostReason.addEventListener("change", showNoteHint);

  function askLost(evt) {
    pendingLost = evt;
    document.getElementById("lost-deal-title").textContent = cardTitle(evt.item);
    lostReason.value = "";
    lostNote.value = "";
    lostReason.classList.remove("is-invalid");
    lostNote.classList.remove("is-invalid");
    lostError.textContent = lostDefaultError;
    lostError.hidden = true;
    showNoteHint();
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
    lostReason.classList.remove("is-invalid");
    lostNote.classList.remove("is-invalid");
    if (!lostReason.value) {
      lostInvalid(lostReason);
      return;
    }
    if (noteNeeded() && !lostNote.value.trim()) {
      lostInvalid(lostNote, lostNote.dataset.missing);
      return;
    }
    const evt = pendingLost;
    const submit = lostForm.querySelector("[type=submit]");
    submit.disabled = true;
    post(evt.item.dataset.lostUrl, { reason: lostReason.value, note: lostNote.value })
      .then(function (result) {
        submit.disabled = false;
        if (!result.ok) {
          if (result.status === 400) {
            lostInvalid(noteNeeded() ? lostNote : lostReason, result.text);
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
    } else if (isWonColumn(evt.to)) {
      askWin(evt);
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
