/* The deal list's action bar: "select all on this page", the count of ticked deals, and only the
 * field the chosen action needs. The rows' checkboxes belong to <form data-deal-batch> through
 * their form attribute, so a table refreshed by the filters (htmx) keeps working. */
(function () {
  "use strict";

  function bar() {
    return document.querySelector("form[data-deal-batch]");
  }

  function boxes(form) {
    return Array.from(document.querySelectorAll('input[type=checkbox][name=deals][form="' + form.id + '"]'));
  }

  function refresh() {
    const form = bar();
    if (!form) return;
    const all = boxes(form);
    const ticked = all.filter(function (b) { return b.checked; }).length;
    const count = form.querySelector("[data-batch-count]");
    if (count && ticked) count.textContent = (form.dataset.selectedText || "{n} selected").replace("{n}", String(ticked));
    else if (count && count.dataset.idle) count.textContent = count.dataset.idle;
    const submit = form.querySelector("[data-batch-submit]");
    if (submit) submit.disabled = ticked === 0;
    const head = document.querySelector("input[data-check-all=deals]");
    if (head) {
      head.checked = all.length > 0 && ticked === all.length;
      head.indeterminate = ticked > 0 && ticked < all.length;
    }
    const action = form.querySelector("[data-batch-action]");
    form.querySelectorAll("[data-batch-for]").forEach(function (field) {
      field.hidden = !action || field.getAttribute("data-batch-for") !== action.value;
    });
  }

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (!(target instanceof HTMLInputElement || target instanceof HTMLSelectElement)) return;
    if (target.matches("input[data-check-all=deals]")) {
      const form = bar();
      if (form) boxes(form).forEach(function (b) { b.checked = target.checked; });
    }
    if (target.matches("input[data-check-all=deals], input[name=deals], [data-batch-action]")) refresh();
  });

  document.addEventListener("htmx:afterSwap", refresh);
  const form = bar();
  if (form) {
    const count = form.querySelector("[data-batch-count]");
    if (count) count.dataset.idle = count.textContent;
  }
  refresh();
})();
