"""Suggestions in words. Only products, the customer's own segment and aggregate counts appear here:
never another customer, and never a count small enough to point at one."""

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from sales.models import RecommendationRow
from sales.recommend.model import BOUGHT_WITH, MIN_SHOWN_COUNT, SEGMENT

Kind = RecommendationRow.Kind


def bought_with(anchor_name: str, together: int | None) -> str:
    if together is None or together < MIN_SHOWN_COUNT:
        return _("often bought together with %(product)s") % {"product": anchor_name}
    return _("bought with %(product)s by %(count)s customers") % {
        "product": anchor_name,
        "count": number_format(together, force_grouping=True),
    }


def popular_with(segment: str, customer) -> str:
    """The words for a segment of the customer's own kind: their industry, region or channel."""
    values = {"industry": customer.industry, "region": customer.region, "channel": customer.channel}
    if segment == Kind.INDUSTRY_REGION:
        return _("popular with %(industry)s customers in %(region)s") % values
    if segment == Kind.INDUSTRY:
        return _("popular with %(industry)s customers") % values
    if segment == Kind.REGION:
        return _("popular with customers in %(region)s") % values
    if segment == Kind.CHANNEL:
        return _("popular with customers who came through %(channel)s") % values
    return _("popular overall")


def reason(kind: str, *, customer, anchor_name: str = "", together: int | None = None, segment=None) -> str:
    if kind == BOUGHT_WITH:
        return bought_with(anchor_name, together)
    if kind == SEGMENT:
        return popular_with(segment, customer)
    return _("popular overall")
