/* The plans page: a cell's inline form takes the keyboard. Enter saves (the form's own submit),
 * Escape cancels; the first field is focused when a form opens, the cell when it closes. */
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !(event.target instanceof Element)) return;
    const form = event.target.closest("form[data-plan-cell]");
    const cancel = form ? form.querySelector("[data-plan-cancel]") : null;
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const cell = event.detail.target;
    if (!(cell instanceof Element) || !cell.id || !cell.id.startsWith("plan-")) return;
    const swapped = document.getElementById(cell.id);
    if (!swapped) return;
    const field = swapped.querySelector("form[data-plan-cell] .is-invalid, form[data-plan-cell] input:not([type=hidden])");
    const focus = field || swapped.querySelector(".plan-cell-button");
    if (focus) {
      focus.focus();
      if (field && typeof field.select === "function") field.select();
    }
  });
})();
