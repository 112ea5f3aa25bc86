"""Filters a list takes from the dashboard's links but has no control for: kept as hidden inputs so
the bar does not drop them, and shown as chips that remove them."""

from django.http import HttpRequest
from django.utils.translation import gettext as _

from crm.filters import ListFilterSet
from sales.models import LostReason, Product


def hidden_filters(request: HttpRequest, filters: ListFilterSet, names: tuple[str, ...]) -> list[dict]:
    chips = []
    for name in names:
        if name not in filters.applied:
            continue
        value = filters.applied[name]
        if isinstance(value, bool):
            text, shown = ("true", _("yes")) if value else ("false", _("no"))
        else:
            text = value.isoformat() if hasattr(value, "isoformat") else str(value)
            shown = f"#{text}" if name == "customer" else text
        if name == "product":
            # The one product a list is narrowed to, by name: one query, only when it is asked for.
            products = Product.objects.visible_to(request.user).filter(pk=value)
            shown = products.values_list("name", flat=True).first() or f"#{text}"
        if name == "lost_reason":
            reason = LostReason.objects.visible_to(request.user).filter(pk=value).first()
            shown = reason.display_name if reason is not None else f"#{text}"
        rest = request.GET.copy()
        rest.pop(name, None)
        rest.pop("page", None)
        chips.append(
            {
                "name": name,
                "values": [text],
                "label": filters.filters[name].label,
                "shown": shown,
                "remove_url": f"?{rest.urlencode()}",
            }
        )
    return chips
