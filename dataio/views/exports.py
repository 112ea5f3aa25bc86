"""Downloads of the filtered customer, deal and sales-record lists (``?format=csv`` or ``xlsx``)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from dataio import exports
from sales.filters.customers import CustomerFilterSet
from sales.filters.deals import DealFilterSet
from sales.filters.records import SalesRecordFilterSet
from sales.models import Deal, SalesRecord


def _format(request: HttpRequest) -> str:
    return "xlsx" if request.GET.get("format") == "xlsx" else "csv"


@login_required
def customer_export(request: HttpRequest) -> HttpResponse:
    qs = CustomerFilterSet(request.GET, Customer.objects.visible_to(request.user)).qs
    qs = qs.select_related(*exports.CUSTOMER_RELATED)
    return exports.export_response(exports.CUSTOMER_COLUMNS, qs, str(_("customers")), _format(request))


@login_required
def deal_export(request: HttpRequest) -> HttpResponse:
    qs = DealFilterSet(request.GET, Deal.objects.visible_to(request.user)).qs
    qs = qs.select_related(*exports.DEAL_RELATED)
    return exports.export_response(exports.DEAL_COLUMNS, qs, str(_("deals")), _format(request))


@login_required
def salesrecord_export(request: HttpRequest) -> HttpResponse:
    qs = SalesRecordFilterSet(request.GET, SalesRecord.objects.visible_to(request.user)).qs
    qs = qs.select_related(*exports.SALES_RECORD_RELATED)
    return exports.export_response(
        exports.SALES_RECORD_COLUMNS, qs, str(_("sales-records")), _format(request)
    )
