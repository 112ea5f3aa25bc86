"""A new deal's form filled in from its link: ``/deals/new/?customer=7&product=3&amount=1200.00``.

Suggestions link here so a rep offers the product at its list price in one click. Anything the user
may not pick, or that is not a plain amount, is ignored: the link only ever pre-fills the form.
"""

from decimal import Decimal, InvalidOperation

from sales.models import Product

MAX_AMOUNT = Decimal("1e12")


def product_initial(params, user, *, title: str = "") -> dict:
    """Initial product, amount and title from the query string; ``title`` is the customer's name."""
    initial: dict = {}
    product_id = params.get("product", "")
    product = None
    if product_id.isdigit():
        product = Product.objects.visible_to(user).active().filter(pk=product_id).first()
    if product is not None:
        initial["product"] = product.pk
        initial["amount"] = product.list_price
        if title:
            initial["title"] = f"{title} - {product.name}"
    try:
        amount = Decimal(params.get("amount", "").strip())
    except InvalidOperation:
        return initial
    if amount.is_finite() and Decimal("0") <= amount < MAX_AMOUNT:
        initial["amount"] = amount.quantize(Decimal("0.01"))
    return initial
