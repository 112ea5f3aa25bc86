/* Behaviour the templates ask for with data attributes: the Content-Security-Policy runs no inline
 * script or on* attribute, so pages name what they want and this file does it. */
(function () {
  "use strict";

  // <select data-autosubmit>, or any select in <form data-autosubmit>: choosing an option submits
  // its form (the language switch, filters).
  document.addEventListener("change", function (event) {
    const select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.form) return;
    if (select.hasAttribute("data-autosubmit") || select.form.hasAttribute("data-autosubmit")) {
      select.form.submit();
    }
  });

  // <a data-history-back href="...">: goes back when there is somewhere to go back to, else follows href.
  document.addEventListener("click", function (event) {
    const link = event.target instanceof Element ? event.target.closest("a[data-history-back]") : null;
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
