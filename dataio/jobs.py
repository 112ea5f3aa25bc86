"""Large browser imports run by the worker, all or nothing, with their progress for the page.

The job's ``done`` mark is written inside the import's own transaction (``before_commit``), so a
worker killed at any point leaves either the whole import and ``done``, or nothing and a job that
the next worker runs again once its lease has run out.
"""

import datetime
import logging

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import override

from dataio import exports
from dataio.imports import Mapping, MappingError, run_import, upload_limits
from dataio.imports.report import ImportReport, Problem
from dataio.models import ExportJob, ImportJob

log = logging.getLogger(__name__)
PROBLEMS_KEPT = 1000
# The preview page shows this many notes.
WARNINGS_KEPT = 200


class LostClaim(Exception):
    """Another worker took the job over (this one overran its lease): roll this run back."""


def enqueue(
    user, *, filename: str, data: bytes, mapping: dict, rows: int, check_only: bool = False
) -> ImportJob:
    return ImportJob.objects.create(
        user=user,
        kind=mapping.get("kind", ""),
        filename=filename,
        data=data,
        mapping=mapping,
        rows_total=rows,
        check_only=check_only,
    )


def claim(now: datetime.datetime, worker: str) -> ImportJob | None:
    pk = ImportJob.objects.claim(now, worker, datetime.timedelta(seconds=settings.CRM_IMPORT_LEASE_SECONDS))
    return None if pk is None else ImportJob.objects.select_related("user").get(pk=pk)


def _finish(job: ImportJob, state: str, summary: str, problems=(), report: dict | None = None) -> int:
    return ImportJob.objects.filter(pk=job.pk, worker=job.worker, state=ImportJob.State.RUNNING).update(
        state=state,
        summary=summary,
        problems=_rows(problems),
        report=report or {},
        finished_at=timezone.now(),
        lease_until=None,
        rows_done=job.rows_total,
        data=b"",
    )


def _rows(problems) -> list[list]:
    return [[p.row, p.column, str(p.reason)] for p in list(problems)[:PROBLEMS_KEPT]]


def report_of(report) -> dict:
    """What the preview page shows of a check, as JSON."""
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "added": dict(report.added),
        "absent_optional": [str(c) for c in report.absent_optional],
        "warnings": _rows(report.warnings[:WARNINGS_KEPT]),
    }


def checked_report(job: ImportJob) -> ImportReport:
    """A finished check as the report of a preview run in the request (``report_of`` read back; its
    summary then speaks the reader's language). A check that stopped on an error reports the error."""
    saved = job.report or {}

    def problems(rows: list) -> list[Problem]:
        return [Problem(row=row, column=column, reason=reason) for row, column, reason in rows]

    found = problems(job.problems)
    if job.state != ImportJob.State.DONE and not found:
        found = [Problem(row=0, column="", reason=job.summary)]
    return ImportReport(
        kind=job.kind,
        rows=saved.get("rows", job.rows_total),
        created=saved.get("created", 0),
        updated=saved.get("updated", 0),
        unchanged=saved.get("unchanged", 0),
        added=saved.get("added", {}),
        problems=found,
        warnings=problems(saved.get("warnings", [])),
        absent_optional=saved.get("absent_optional", []),
        dry_run=True,
    )


def run(job: ImportJob, language: str, alive=None) -> ImportJob:
    """Run a claimed job to the end (its summary in ``language``); returns it as it ended.

    ``alive`` is called as rows are checked, so the worker's heartbeat goes on during a long import.
    """
    job.refresh_from_db()
    with override(language):
        try:
            mapping = Mapping.from_dict(job.mapping)
        except MappingError as exc:
            _finish(job, ImportJob.State.FAILED, str(exc))
            return ImportJob.objects.get(pk=job.pk)

        def progress(rows: int) -> None:
            ImportJob.objects.filter(pk=job.pk, worker=job.worker).update(rows_done=rows)
            if alive is not None:
                alive()

        def done(report) -> None:
            if not _finish(job, ImportJob.State.DONE, report.summary()):
                raise LostClaim(job.pk)

        if job.check_only:
            report = run_import(
                bytes(job.data), job.filename, mapping, user=job.user, dry_run=True, limits=upload_limits(),
                progress=progress,
            )  # fmt: skip
            state = ImportJob.State.DONE if report.ok else ImportJob.State.FAILED
            _finish(job, state, report.summary(), report.problems, report_of(report))
            return ImportJob.objects.get(pk=job.pk)
        report = run_import(
            bytes(job.data),
            job.filename,
            mapping,
            user=job.user,
            limits=upload_limits(),
            progress=progress,
            before_commit=done,
        )
        if not report.committed:
            _finish(job, ImportJob.State.FAILED, report.summary(), report.problems)
    return ImportJob.objects.get(pk=job.pk)


def run_due_imports(now: datetime.datetime, worker: str, language_of, alive=None) -> list[ImportJob]:
    """Every queued import, one after the other; ``language_of(user)`` picks each summary's language."""
    finished = []
    while job := claim(now, worker):
        job.worker = worker
        try:
            finished.append(run(job, language_of(job.user), alive))
        except LostClaim:
            log.warning("Background import %s was taken over by another worker", job.pk)
        except Exception:
            log.exception("Background import %s failed", job.pk)
            _finish(job, ImportJob.State.FAILED, "The import stopped on an error; nothing was imported.")
    return finished


def claim_export(now: datetime.datetime, worker: str) -> ExportJob | None:
    pk = ExportJob.objects.claim(now, worker, datetime.timedelta(seconds=settings.CRM_IMPORT_LEASE_SECONDS))
    return None if pk is None else ExportJob.objects.select_related("user").defer("content").get(pk=pk)


def run_export(job: ExportJob, language: str, alive=None) -> None:
    """Write the export as its requester sees the list now, in their language; a rerun is harmless."""
    mine = ExportJob.objects.filter(pk=job.pk, worker=job.worker, state=ExportJob.State.RUNNING)

    def progress(rows: int) -> None:
        mine.update(rows_done=rows)
        if alive is not None:
            alive()

    with override(language):
        spec = exports.LISTS[job.kind]
        qs = exports.list_queryset(job.kind, job.user, QueryDict(job.query))
        filename, content = exports.export_file(spec.columns, qs, str(spec.name), job.format, progress)
    mine.update(
        state=ExportJob.State.DONE,
        filename=filename,
        content=content,
        rows_done=job.rows_total,
        finished_at=timezone.now(),
        lease_until=None,
    )


def run_due_exports(now: datetime.datetime, worker: str, language_of, alive=None) -> int:
    done = 0
    while job := claim_export(now, worker):
        job.worker = worker
        try:
            run_export(job, language_of(job.user), alive)
            done += 1
        except Exception:
            log.exception("Background export %s failed", job.pk)
            ExportJob.objects.filter(pk=job.pk, worker=worker).update(
                state=ExportJob.State.FAILED, finished_at=timezone.now(), lease_until=None
            )
    return done
