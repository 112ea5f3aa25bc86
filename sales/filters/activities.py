"""The activity list's filters: the page picks whose activities, the API also the rest."""

import datetime

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.filters import IdFilter, ListFilterSet
from sales.models import Activity


class UTCDateTimeField(forms.DateTimeField):
    """A datetime given in UTC, whatever offset it was written with.

    PostgreSQL refuses unusual offsets (such as -19:20) in a query, and one far from UTC near the
    first or last representable day overflows; both are ignored as values that do not make sense.
    """

    def to_python(self, value) -> datetime.datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(datetime.UTC)
        except (OverflowError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class UTCDateTimeFilter(django_filters.DateTimeFilter):
    field_class = UTCDateTimeField


class ActivityFilterSet(ListFilterSet):
    owner = IdFilter(label=_("Owner"))
    kind = django_filters.ChoiceFilter(choices=Activity.Kind.choices, label=_("Type"))
    deal = IdFilter(label=_("Deal"))
    customer = IdFilter(label=_("Customer"))
    done = django_filters.BooleanFilter(method="filter_done", label=_("Done"))
    due_after = UTCDateTimeFilter(field_name="due_at", lookup_expr="gte", label=_("Due from"))
    due_before = UTCDateTimeFilter(field_name="due_at", lookup_expr="lt", label=_("Due before"))

    def filter_done(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.done() if value else queryset.pending()
