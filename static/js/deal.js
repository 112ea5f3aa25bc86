/* The deal page: winning asks first, in a dialog of the page, and the answer to a win offers "Undo"
 * for a few seconds. The panel is swapped by htmx; the dialog lives outside it, so it stays. */
(function () {
  "use strict";
  const modalEl = document.getElementById("win-modal");
  if (!modalEl || typeof htmx === "undefined") return;
  const modal = bootstrap.Modal.getOrCreateInstance(modalEl);
  const confirmButton = document.getElementById("win-confirm");
  let pending = null; // the request waiting for a yes
  let undoTimer = null;

  function wins(form) {
    const mode = form.getAttribute("data-confirm-win");
    if (mode === "always") return true;
    const select = form.querySelector("select[name=stage]");
    const option = select ? select.selectedOptions[0] : null;
    return Boolean(option && option.hasAttribute("data-wins"));
  }

  // htmx asks before every request: a win waits for the dialog's answer.
  document.body.addEventListener("htmx:confirm", function (evt) {
    const form = evt.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm-win") || !wins(form)) return;
    evt.preventDefault();
    pending = evt.detail;
    modal.show();
  });

  modalEl.addEventListener("shown.bs.modal", function () {
    confirmButton.focus();
  });

  modalEl.addEventListener("hidden.bs.modal", function () {
    pending = null;
  });

  document.getElementById("win-form").addEventListener("submit", function (e) {
    e.preventDefault();
    const request = pending;
    pending = null;
    modal.hide();
    if (request) request.issueRequest(true);
  });

  function endUndo(toast) {
    window.clearTimeout(undoTimer);
    if (toast.isConnected) toast.remove();
  }

  function startUndo(toast) {
    const seconds = Number(toast.dataset.undoSeconds || "8");
    window.clearTimeout(undoTimer);
    undoTimer = window.setTimeout(function () {
      endUndo(toast);
    }, seconds * 1000);
  }

  // The undo offer: it goes after a few seconds, but waits while the pointer or keyboard is on it.
  function armUndo() {
    const toast = document.getElementById("undo-toast");
    if (!toast || toast.dataset.armed) return;
    toast.dataset.armed = "1";
    toast.addEventListener("mouseenter", function () {
      window.clearTimeout(undoTimer);
    });
    toast.addEventListener("focusin", function () {
      window.clearTimeout(undoTimer);
    });
    toast.addEventListener("mouseleave", function () {
      if (!toast.contains(document.activeElement)) startUndo(toast);
    });
    toast.addEventListener("focusout", function (e) {
      if (!toast.contains(e.relatedTarget)) startUndo(toast);
    });
    toast.querySelector("[data-bs-dismiss=toast]").addEventListener("click", function () {
      endUndo(toast);
    });
    const button = document.getElementById("undo-button");
    if (button) button.focus(); // the dialog that had the focus is gone; the next step is here
    startUndo(toast);
  }

  htmx.onLoad(armUndo);
  armUndo();
})();
