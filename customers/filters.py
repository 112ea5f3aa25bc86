"""The contact list's filters (the API's; contacts are listed on their customer's page)."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.filters import IdFilter, ListFilterSet, TextFilter


class ContactFilterSet(ListFilterSet):
    q = TextFilter(method="filter_q", label=_("Search"), help_text=_("Text in the name, email or phone."))
    customer = IdFilter(label=_("Customer"))

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(name__icontains=value) | Q(email__icontains=value) | Q(phone__icontains=value)
        )
