"""Importing in the browser: upload, map columns, preview every problem, then commit.

The uploaded bytes wait between the steps in the cache (Redis in production, so any app process
can serve the next step) under a random token kept in the user's session and bound to the user's
id; the client never names a file or a path.
"""

import json
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.shortcuts import get_visible_or_404
from dataio import jobs
from dataio.imports import (
    KIND_LABELS,
    ImportReport,
    Mapping,
    MappingError,
    ReadError,
    field_defs,
    guess_mapping,
    read_table,
    run_import,
    upload_limits,
)
from dataio.imports.forms import MappingForm, UploadForm
from dataio.models import ImportJob
from people.visibility import is_manager_or_admin

SESSION_KEY = "crm_import"
KEEP_SECONDS = 2 * 60 * 60
PROBLEMS_SHOWN = 1000
PREVIEW_ROWS = 10


def _check_importer(request: HttpRequest) -> None:
    if not is_manager_or_admin(request.user):
        raise PermissionDenied


def _cache_key(user, token: str) -> str:
    return f"crm-import:{user.pk}:{token}"


def _pending(request: HttpRequest):
    """The upload in progress as (state, bytes), or None when there is none or it expired."""
    state = request.session.get(SESSION_KEY)
    if not state:
        return None
    data = cache.get(_cache_key(request.user, state["token"]))
    if data is None:
        return None
    return state, data


def _table(state: dict, data: bytes, mapping: Mapping):
    return read_table(
        data,
        state["filename"],
        encoding=mapping.encoding,
        delimiter=mapping.delimiter,
        limits=upload_limits(),
    )


def _earlier_mapping(request: HttpRequest, kind: str, headers: list[str]) -> Mapping | None:
    """The mapping of the upload this one replaces ("Upload a corrected file"), when it is for the
    same kind of record and every column it reads is still in the file; otherwise None."""
    state = request.session.get(SESSION_KEY)
    if not state or state.get("mapping", {}).get("kind") != kind:
        return None
    try:
        mapping = Mapping.from_dict(state["mapping"], check=False)
    except MappingError:
        return None
    present = set(headers)
    if not mapping.fields or any(c not in present for fm in mapping.fields.values() for c in fm.columns):
        return None
    return mapping


def _preview_rows(state: dict, data: bytes, mapping: Mapping) -> tuple[list[str], list[list[str]]]:
    """The first rows as the mapping reads them: a column per mapped field, under the field's name."""
    table = _table(state, data, mapping)
    labels = {name: fdef.label for name, fdef in field_defs(mapping.kind).items()}
    mapped = [(name, fm) for name, fm in mapping.fields.items() if fm.columns]
    index = {h: i for i, h in enumerate(table.headers)}
    rows = []
    for _n, cells in table.rows[:PREVIEW_ROWS]:
        row = []
        for _name, fm in mapped:
            values = [cells[index[c]] for c in fm.columns if c in index and index[c] < len(cells)]
            row.append(" ".join(v for v in values if v))
        rows.append(row)
    return [str(labels.get(name, name)) for name, _fm in mapped], rows


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    _check_importer(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        mapping = form.cleaned_data.get("mapping")
        try:
            table = read_table(
                data,
                upload.name,
                encoding=mapping.encoding if mapping else "auto",
                limits=upload_limits(),
            )
        except ReadError as exc:
            form.add_error("file", str(exc))
        else:
            samples = {h: table.column_values(h, limit=20) for h in table.headers if h}
            mapping = (
                mapping
                or _earlier_mapping(request, form.cleaned_data["kind"], table.headers)
                or guess_mapping(form.cleaned_data["kind"], table.headers, samples)
            )
            token = secrets.token_urlsafe(24)
            cache.set(_cache_key(request.user, token), data, KEEP_SECONDS)
            request.session[SESSION_KEY] = {
                "token": token,
                "filename": upload.name[:200],
                "mapping": mapping.to_dict(),
            }
            return redirect("dataio:import_map")
    return render(request, "dataio/import_upload.html", {"form": form, "step": 1})


def _mapping_form(request: HttpRequest, state: dict, data: bytes) -> tuple[MappingForm, object]:
    # The draft may still lack required columns: the form is where the user adds them.
    mapping = Mapping.from_dict(state["mapping"], check=False)
    table = _table(state, data, mapping)
    samples = {h: table.column_values(h, limit=40) for h in table.headers if h}
    form = MappingForm(request.POST or None, mapping=mapping, headers=table.headers, samples=samples)
    return form, table


def _uploaded(request: HttpRequest) -> tuple[dict, bytes] | HttpResponse:
    """The importer's pending upload, or the redirect to the upload step."""
    _check_importer(request)
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Upload a file to import first."))
        return redirect("dataio:import_upload")
    return pending


@login_required
def import_map(request: HttpRequest) -> HttpResponse:
    pending = _uploaded(request)
    if isinstance(pending, HttpResponse):
        return pending
    state, data = pending
    try:
        form, table = _mapping_form(request, state, data)
    except ReadError as exc:
        # Read under limits the upload did not meet (they changed, or the file came another way).
        messages.error(request, str(exc))
        return redirect("dataio:import_upload")
    if request.method == "POST":
        valid = form.is_valid()
        state["mapping"] = form.mapping.to_dict()
        state["rows"] = len(table.rows)
        state.pop("check", None)  # a new mapping is checked again
        request.session[SESSION_KEY] = state
        if valid and "preview" in request.POST:
            return redirect("dataio:import_preview")
        if valid or "refresh" in request.POST:
            return redirect("dataio:import_map")
    context = {
        "form": form,
        "state": state,
        "kind_label": KIND_LABELS[form.kind],
        "headers": table.headers,
        "sample_rows": [cells for _n, cells in table.rows[:3]],
        "row_count": len(table.rows),
        "encoding": table.encoding,
        "step": 2,
    }
    return render(request, "dataio/import_map.html", context)


def _mapped(request: HttpRequest) -> tuple[dict, bytes, Mapping] | HttpResponse:
    """The pending upload and its mapping, or the redirect to the step still missing."""
    pending = _uploaded(request)
    if isinstance(pending, HttpResponse):
        return pending
    state, data = pending
    try:
        mapping = Mapping.from_dict(state["mapping"])
    except MappingError as exc:
        messages.error(request, str(exc))
        return redirect("dataio:import_map")
    return state, data, mapping


def _run(request: HttpRequest, state: dict, data: bytes, mapping: Mapping, *, dry_run: bool) -> ImportReport:
    """Run the pending upload with its mapping, as a check (``dry_run``) or for real."""
    return run_import(
        data, state["filename"], mapping, user=request.user, dry_run=dry_run, limits=upload_limits()
    )


@login_required
def import_preview(request: HttpRequest) -> HttpResponse:
    mapped = _mapped(request)
    if isinstance(mapped, HttpResponse):
        return mapped
    state, data, mapping = mapped
    if state.get("rows", 0) > settings.CRM_IMPORT_BACKGROUND_ROWS:
        return _preview_in_background(request, state, data, mapping)
    report = _run(request, state, data, mapping, dry_run=True)
    if state.get("rows") != report.rows:
        state["rows"] = report.rows
        request.session[SESSION_KEY] = state
    return _render_preview(request, state, data, mapping, report=report)


def _preview_in_background(request: HttpRequest, state: dict, data: bytes, mapping: Mapping) -> HttpResponse:
    """The preview of a file of more than CRM_IMPORT_BACKGROUND_ROWS rows: the worker checks it,
    this page shows the progress, then the result as a preview checked in the request would."""
    job = None
    if state.get("check"):
        mine = ImportJob.objects.visible_to(request.user).filter(user=request.user, check_only=True)
        job = mine.filter(pk=state["check"]).first()
    if job is None:
        job = jobs.enqueue(
            request.user,
            filename=state["filename"],
            data=data,
            mapping=state["mapping"],
            rows=state["rows"],
            check_only=True,
        )
        state["check"] = job.pk
        request.session[SESSION_KEY] = state
    if not job.finished:
        return _render_preview(request, state, data, mapping, checking=job)
    return _render_preview(request, state, data, mapping, report=jobs.checked_report(job))


def _render_preview(
    request: HttpRequest, state: dict, data: bytes, mapping: Mapping, *, report=None, checking=None
) -> HttpResponse:
    """The preview page: a check's progress (``checking``), or its ``report``."""
    context = {"state": state, "kind_label": KIND_LABELS[mapping.kind], "step": 3, "checking": checking}
    if report is not None:
        columns, rows = _preview_rows(state, data, mapping) if report.ok else ([], [])
        context |= {
            "report": report,
            "preview_columns": columns,
            "preview_rows": rows,
            "problems": report.problems[:PROBLEMS_SHOWN],
            "hidden_problems": max(0, len(report.problems) - PROBLEMS_SHOWN),
        }
    return render(request, "dataio/import_preview.html", context)


def _in_background(request: HttpRequest) -> HttpResponse | None:
    """A previewed file of more than CRM_IMPORT_BACKGROUND_ROWS rows goes to the worker."""
    state = request.session.get(SESSION_KEY)
    if not state or state.get("rows", 0) <= settings.CRM_IMPORT_BACKGROUND_ROWS:
        return None
    pending = _uploaded(request)
    if isinstance(pending, HttpResponse):
        return pending
    state, data = pending
    job = jobs.enqueue(
        request.user, filename=state["filename"], data=data, mapping=state["mapping"], rows=state["rows"]
    )
    cache.delete(_cache_key(request.user, state["token"]))
    del request.session[SESSION_KEY]
    return redirect("dataio:import_job", pk=job.pk)


@login_required
@require_POST
def import_commit(request: HttpRequest) -> HttpResponse:
    _check_importer(request)
    queued = _in_background(request)
    if queued is not None:
        return queued
    mapped = _mapped(request)
    if isinstance(mapped, HttpResponse):
        return mapped
    state, data, mapping = mapped
    report = _run(request, state, data, mapping, dry_run=False)
    if not report.committed:
        messages.error(request, report.summary())
        return redirect("dataio:import_preview")
    cache.delete(_cache_key(request.user, state["token"]))
    del request.session[SESSION_KEY]
    messages.success(
        request,
        _("Imported %(file)s. %(summary)s") % {"file": state["filename"], "summary": report.summary()},
    )
    return redirect("dataio:import_upload")


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A background import's page: its progress bar, polled until the import has ended."""
    job = get_visible_or_404(ImportJob.objects.defer("data"), request.user, pk=pk)
    if job.check_only and job.finished:
        # A finished check is shown on the preview page, with the import button.
        if request.htmx:
            return HttpResponse(headers={"HX-Redirect": reverse("dataio:import_preview")})
        return redirect("dataio:import_preview")
    template = "dataio/partials/import_job.html" if request.htmx else "dataio/import_job.html"
    return render(request, template, {"job": job, "kind_label": KIND_LABELS.get(job.kind, job.kind)})


@login_required
def import_mapping_json(request: HttpRequest) -> HttpResponse:
    """The mapping as a file, to reuse with the import_data command."""
    _check_importer(request)
    state = request.session.get(SESSION_KEY)
    if not state:
        return redirect("dataio:import_upload")
    response = HttpResponse(
        json.dumps(state["mapping"], indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{state["mapping"]["kind"]}-mapping.json"'
    return response
