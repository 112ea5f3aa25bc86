"""Filters of the sales-record list, shared by its page, its export and the API.

Filter values come straight from query strings, so a form parses them: a value that does not
parse is ignored rather than failing the request.
"""

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from sales.filters import MAX_ID, FilterForm, clean_filters


class SalesRecordFilterForm(FilterForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    owner = forms.IntegerField(label=_("Owner"), required=False, min_value=1, max_value=MAX_ID)
    customer = forms.IntegerField(label=_("Customer"), required=False, min_value=1, max_value=MAX_ID)
    product = forms.IntegerField(label=_("Product"), required=False, min_value=1, max_value=MAX_ID)
    category = forms.CharField(label=_("Product category"), required=False, max_length=100)
    region = forms.CharField(label=_("Region"), required=False, max_length=100)
    channel = forms.CharField(label=_("Channel"), required=False, max_length=100)
    start = forms.DateField(
        label=_("Sold from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Sold until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")


def filter_sales_records(qs: QuerySet, params) -> QuerySet:
    """Apply the list's filters (``q``, owner, customer, product, category, region, channel, dates)."""
    f = clean_filters(SalesRecordFilterForm, params)
    if "q" in f:
        qs = qs.filter(
            Q(customer__name__icontains=f["q"])
            | Q(note__icontains=f["q"])
            | Q(product__name__icontains=f["q"])
        )
    for key, lookup in (
        ("owner", "owner_id"),
        ("customer", "customer_id"),
        ("product", "product_id"),
        ("category", "product__category__iexact"),
        ("region", "customer__region__iexact"),
        ("channel", "customer__channel__iexact"),
        ("start", "sold_on__gte"),
        ("end", "sold_on__lte"),
    ):
        if key in f:
            qs = qs.filter(**{lookup: f[key]})
    return qs
