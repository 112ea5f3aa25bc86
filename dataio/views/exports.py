"""Downloads of the filtered customer, deal and sales-record lists (``?format=csv`` or ``xlsx``).

A list longer than CRM_EXPORT_BACKGROUND_ROWS is written by the worker: the request makes an
``ExportJob`` and goes to its page, which offers the file once it is ready.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header

from accounts.events import record_security_event
from accounts.throttle import client_ip
from crm.shortcuts import get_visible_or_404
from dataio import exports
from dataio.models import ExportJob


def _format(request: HttpRequest) -> str:
    return "xlsx" if request.GET.get("format") == "xlsx" else "csv"


def _audited(request: HttpRequest, what: str, **more):
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
            detail={"list": what, "format": fmt, "filter": filters, "rows": rows, **more},
        )

    return done


def _export(request: HttpRequest, kind: str) -> HttpResponse:
    spec = exports.LISTS[kind]
    qs = exports.list_queryset(kind, request.user, request.GET)
    fmt = _format(request)
    limit = settings.CRM_EXPORT_BACKGROUND_ROWS
    rows = qs.count() if limit else 0
    if rows > limit:
        job = ExportJob.objects.create(
            user=request.user, kind=kind, format=fmt, query=request.GET.urlencode(), rows_total=rows
        )
        _audited(request, kind, job=job.pk)(rows)
        return redirect("dataio:export_job", pk=job.pk)
    return exports.export_response(spec.columns, qs, str(spec.name), fmt, done=_audited(request, kind))


@login_required
def customer_export(request: HttpRequest) -> HttpResponse:
    return _export(request, "customers")


@login_required
def deal_export(request: HttpRequest) -> HttpResponse:
    return _export(request, "deals")


@login_required
def salesrecord_export(request: HttpRequest) -> HttpResponse:
    return _export(request, "sales-records")


@login_required
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A background export's page: its progress, polled until the file is ready to download."""
    job = get_visible_or_404(ExportJob.objects.defer("content"), request.user, pk=pk)
    template = "dataio/partials/export_job.html" if request.htmx else "dataio/export_job.html"
    return render(request, template, {"job": job, "list_name": exports.LISTS[job.kind].name})


@login_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(ExportJob.objects, request.user, pk=pk)
    if job.state != ExportJob.State.DONE:
        raise Http404
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if job.format == "xlsx"
        else "text/csv; charset=utf-8"
    )
    response = HttpResponse(bytes(job.content), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, job.filename)
    return response
