"""Downloads of the filtered customer, deal and sales-record lists (``?format=csv`` or ``xlsx``)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from dataio import exports
from sales.filters import filter_customers, filter_deals
from sales.models import Deal, SalesRecord
from sales.record_filters import filter_sales_records


def _format(request: HttpRequest) -> str:
    return "xlsx" if request.GET.get("format") == "xlsx" else "csv"


@login_required
def customer_export(request: HttpRequest) -> HttpResponse:
    qs, _applied = filter_customers(Customer.objects.visible_to(request.user), request.GET)
    qs = qs.select_related(*exports.CUSTOMER_RELATED)
    return exports.export_response(exports.CUSTOMER_COLUMNS, qs, str(_("customers")), _format(request))


@login_required
def deal_export(request: HttpRequest) -> HttpResponse:
    qs, _applied = filter_deals(
        Deal.objects.visible_to(request.user),
        request.GET,
        user=request.user,
        today=timezone.localdate(),
        stale_days=settings.CRM_STALE_DAYS,
    )
    qs = qs.select_related(*exports.DEAL_RELATED)
    return exports.export_response(exports.DEAL_COLUMNS, qs, str(_("deals")), _format(request))


@login_required
def salesrecord_export(request: HttpRequest) -> HttpResponse:
    qs = filter_sales_records(SalesRecord.objects.visible_to(request.user), request.GET)
    qs = qs.select_related(*exports.SALES_RECORD_RELATED)
    return exports.export_response(
        exports.SALES_RECORD_COLUMNS, qs, str(_("sales-records")), _format(request)
    )
