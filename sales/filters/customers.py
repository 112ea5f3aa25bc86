"""The customer list's filters. They live in sales because the team filter is sales' (the owners
of a team's book, as the dashboard counts them)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from crm.filters import SearchFilter, SortFilter, TextFilter
from customers.models import Customer
from sales.filters.owners import OwnerTeamFilterSet

# The sortable columns: parameter value -> ordering expression(s).
CUSTOMER_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "owner": ("owner__first_name", "owner__last_name", "owner__username"),
    "industry": ("industry",),
    "region": ("region",),
    "channel": ("channel",),
    "need": ("need",),
    "created_at": ("created_at",),
}


class CustomerFilterSet(OwnerTeamFilterSet):
    q = SearchFilter(
        label=_("Search"),
        help_text=_("Text in the name, email, phone or industry."),
        widget=forms.SearchInput(attrs={"placeholder": _("Name, email, phone, industry"), "autofocus": True}),
    )
    region = TextFilter(lookup_expr="iexact", label=_("Region"))
    channel = TextFilter(lookup_expr="iexact", label=_("Channel"))
    industry = TextFilter(lookup_expr="iexact", label=_("Industry"))
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices, label=_("Kind"), empty_label=_("Any"))
    # The dashboard's R counts the customers with a need; its drill-down sets this to list exactly those.
    has_need = django_filters.BooleanFilter(
        field_name="need",
        lookup_expr="isnull",
        exclude=True,
        widget=django_filters.widgets.BooleanWidget(),
        label=_("Has a need"),
        help_text=_("true: only customers with a need recorded; false: only those without."),
    )
    sort = SortFilter(
        CUSTOMER_SORTS, default=("name", "pk"), label=_("Sort"), help_text=_("A column; '-' for descending.")
    )
