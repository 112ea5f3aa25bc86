"""The sales-plan list's filters (the API's; plans have no list page)."""

import datetime

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.filters import DayFilter, IdFilter, ListFilterSet
from sales.models import SalesPlan


class SalesPlanFilterSet(ListFilterSet):
    scope = django_filters.ChoiceFilter(choices=SalesPlan.Scope.choices, label=_("Scope"))
    team = IdFilter(label=_("Team"))
    rep = IdFilter(label=_("Rep"))
    covers = DayFilter(
        method="filter_covers", label=_("Period"), help_text=_("Plans whose period includes this day.")
    )

    def filter_covers(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        return queryset.filter(period_start__lte=value, period_end__gte=value)
