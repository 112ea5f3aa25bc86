"""Downloads of the filtered customer, deal and sales-record lists (``?format=csv`` or ``xlsx``)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from accounts.events import record_security_event
from accounts.throttle import client_ip
from customers.models import Customer
from dataio import exports
from sales.filters.customers import CustomerFilterSet
from sales.filters.deals import DealFilterSet
from sales.filters.records import SalesRecordFilterSet
from sales.models import Deal, SalesRecord


def _format(request: HttpRequest) -> str:
    return "xlsx" if request.GET.get("format") == "xlsx" else "csv"


def _audited(request: HttpRequest, what: str):
    """Records, once the download has been written, who exported which list with what filter."""
    user, ip, fmt = request.user, client_ip(request), _format(request)
    filters = {
        key: values[0][:200] if len(values) == 1 else [v[:200] for v in values]
        for key, values in request.GET.lists()
        if key != "format"
    }

    def done(rows: int) -> None:
        record_security_event(
            "exported",
            user=user,
            ip=ip,
            detail={"list": what, "format": fmt, "filter": filters, "rows": rows},
        )

    return done


@login_required
def customer_export(request: HttpRequest) -> HttpResponse:
    qs = CustomerFilterSet(request.GET, Customer.objects.visible_to(request.user)).qs
    qs = qs.select_related(*exports.CUSTOMER_RELATED)
    return exports.export_response(
        exports.CUSTOMER_COLUMNS,
        qs,
        str(_("customers")),
        _format(request),
        done=_audited(request, "customers"),
    )


@login_required
def deal_export(request: HttpRequest) -> HttpResponse:
    qs = DealFilterSet(request.GET, Deal.objects.visible_to(request.user)).qs
    qs = qs.select_related(*exports.DEAL_RELATED)
    return exports.export_response(
        exports.DEAL_COLUMNS, qs, str(_("deals")), _format(request), done=_audited(request, "deals")
    )


@login_required
def salesrecord_export(request: HttpRequest) -> HttpResponse:
    qs = SalesRecordFilterSet(request.GET, SalesRecord.objects.visible_to(request.user)).qs
    qs = qs.select_related(*exports.SALES_RECORD_RELATED)
    return exports.export_response(
        exports.SALES_RECORD_COLUMNS,
        qs,
        str(_("sales-records")),
        _format(request),
        done=_audited(request, "sales-records"),
    )
