/* The deal form: choosing a product puts its list price in the amount, unless the user typed an
 * amount themselves. <select data-fills-amount="id of the amount input"> whose options carry
 * data-list-price. An empty (or zero) amount, or one the product filled, follows the product. */
(function () {
  "use strict";

  function amountFor(select) {
    const id = select.getAttribute("data-fills-amount");
    return id ? document.getElementById(id) : null;
  }

  function followsProduct(amount) {
    if (amount.dataset.typed === "1") return false;
    const value = amount.value.trim();
    return value === "" || Number(value) === 0 || value === amount.dataset.filledFromProduct;
  }

  document.addEventListener("change", function (event) {
    const select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-fills-amount")) return;
    const amount = amountFor(select);
    if (!amount || !followsProduct(amount)) return;
    const option = select.selectedOptions[0];
    const price = option ? option.getAttribute("data-list-price") : null;
    if (price) {
      amount.value = price;
      amount.dataset.filledFromProduct = price;
    } else if (amount.dataset.filledFromProduct) {
      // No product (or one without a price): take back the amount the last product filled.
      amount.value = "";
      delete amount.dataset.filledFromProduct;
    }
  });

  // What the user types is theirs: a later product choice leaves it alone.
  document.addEventListener("input", function (event) {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.id) return;
    if (document.querySelector('select[data-fills-amount="' + input.id + '"]')) {
      input.dataset.typed = input.value.trim() === "" ? "" : "1";
      delete input.dataset.filledFromProduct;
    }
  });
})();
