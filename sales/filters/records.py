"""The sales-record list's filters (the dashboard links its E figure here: sales.dashboard.links)."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.filters import DayFilter, IdFilter, ListFilterSet, TextFilter


class SalesRecordFilterSet(ListFilterSet):
    q = TextFilter(
        method="filter_q", label=_("Search"), help_text=_("Text in the customer, product or note.")
    )
    start = DayFilter(
        field_name="sold_on", lookup_expr="gte", label=_("Sold from"), help_text=_("Sold on or after.")
    )
    end = DayFilter(
        field_name="sold_on", lookup_expr="lte", label=_("Sold until"), help_text=_("Sold on or before.")
    )
    owner = IdFilter(label=_("Owner"), empty_label=_("Everyone"))
    region = TextFilter(
        field_name="customer__region",
        lookup_expr="iexact",
        max_length=100,
        label=_("Region"),
        help_text=_("Customer region."),
    )
    channel = TextFilter(
        field_name="customer__channel",
        lookup_expr="iexact",
        max_length=100,
        label=_("Channel"),
        help_text=_("Customer channel."),
    )
    category = TextFilter(
        field_name="product__category", lookup_expr="iexact", max_length=100, label=_("Product category")
    )
    customer = IdFilter(label=_("Customer"))
    product = IdFilter(label=_("Product"))

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(customer__name__icontains=value) | Q(note__icontains=value) | Q(product__name__icontains=value)
        )
