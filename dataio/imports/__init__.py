"""Importing customers, deals, sales records, activities, plans, products and people from CSV or XLSX.

``run_import`` reads the file, applies the mapping, checks every row, and writes all of it in one
transaction or nothing at all; the report names every bad row by number, column and reason.
"""

import getpass
from contextlib import nullcontext

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.events import record_security_event
from dataio.imports.customers import CustomerImporter
from dataio.imports.deals import DealImporter
from dataio.imports.engine import Context
from dataio.imports.fields import ADMIN_KINDS, FIELDS, KIND_LABELS, KINDS, field_defs
from dataio.imports.mapping import Mapping, MappingError, guess_mapping
from dataio.imports.people import PeopleImporter
from dataio.imports.plans import SalesPlanImporter
from dataio.imports.products import ProductImporter
from dataio.imports.readers import Limits, ReadError, Table, command_limits, read_table, upload_limits
from dataio.imports.records import ActivityImporter, SalesRecordImporter
from dataio.imports.report import ImportReport, Problem
from dataio.imports.stage_history import StageHistoryImporter
from history.actor import acting_as
from history.versions import StaleVersion
from sales import rollups


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


IMPORTERS = {
    "customers": CustomerImporter,
    "deals": DealImporter,
    "stage_history": StageHistoryImporter,
    "sales": SalesRecordImporter,
    "activities": ActivityImporter,
    "plans": SalesPlanImporter,
    "products": ProductImporter,
    "people": PeopleImporter,
}
# The kinds whose rows the dashboard's rollups are made from: their import rebuilds the rollups in
# its transaction (one set-based pass, instead of reading every written row's figures twice).
ROLLED_UP = {"customers", "deals", "stage_history", "sales", "activities"}
# The order in which referenced rows an import adds are saved: a new customer may need a new owner.
_CREATION_ORDER = ("owner", "rep", "product", "customer")

__all__ = [
    "ADMIN_KINDS",
    "FIELDS",
    "KINDS",
    "KIND_LABELS",
    "ImportReport",
    "Limits",
    "Mapping",
    "MappingError",
    "Problem",
    "ReadError",
    "Table",
    "command_limits",
    "field_defs",
    "guess_mapping",
    "import_table",
    "read_table",
    "run_import",
    "upload_limits",
]


def run_import(
    data: bytes,
    filename: str,
    mapping: Mapping,
    *,
    user,
    dry_run: bool = False,
    limits: Limits | None = None,
    progress=None,
    before_commit=None,
) -> ImportReport:
    """Import a whole file for ``user`` (``None``: the command line, acting as an admin).

    ``limits`` default to the command line's; the browser passes ``upload_limits()``. A background
    import passes ``progress`` (called with the rows checked so far) and ``before_commit`` (called
    with the report inside the import's transaction, so what it writes commits with the rows).
    """
    try:
        table = read_table(
            data, filename, encoding=mapping.encoding, delimiter=mapping.delimiter, limits=limits
        )
    except ReadError as exc:
        report = ImportReport(kind=mapping.kind, dry_run=dry_run)
        report.problems.append(Problem(exc.row, exc.column, exc.reason))
        return report
    report = import_table(
        table, mapping, user=user, dry_run=dry_run, progress=progress, before_commit=before_commit
    )
    if report.committed:
        record_security_event(
            "imported",
            user=user,
            # An import from the command line without --user is still somebody's: the OS account.
            username="" if user is not None else f"command line ({_os_user()})",
            detail={
                "kind": mapping.kind,
                "file": filename[:200],
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "added": report.added,
            },
        )
    return report


def import_table(
    table: Table, mapping: Mapping, *, user, dry_run: bool = False, progress=None, before_commit=None
) -> ImportReport:
    report = ImportReport(kind=mapping.kind, rows=len(table.rows), dry_run=dry_run)
    missing = mapping.missing_columns(table.headers)
    report.absent_optional = mapping.absent_optional(table.headers)
    mapping = mapping.for_headers(table.headers)
    if missing:
        for column in missing:
            report.problems.append(
                Problem(1, column, _("The mapping uses this column but the file has none."))
            )
        return report
    ctx = Context(user=user, mapping=mapping, table=table, progress=progress)
    importer = IMPORTERS[mapping.kind](ctx, report)
    ctx.collect_keys()
    plans = importer.check()
    for name, lookup in ctx.lookups.items():
        if lookup.created():
            report.added[str(ctx.defs[name].label)] = len(lookup.created())
    if report.problems or dry_run:
        return report
    try:
        # Everything the import writes is the importing user's doing (nobody's from the command
        # line without --user), in each row's change history.
        rolled_up = mapping.kind in ROLLED_UP
        with transaction.atomic(), acting_as(user):
            with rollups.suspended() if rolled_up else nullcontext():
                for name in sorted(
                    ctx.lookups, key=lambda n: _CREATION_ORDER.index(n) if n in _CREATION_ORDER else 99
                ):
                    lookup = ctx.lookups[name]
                    if hasattr(lookup, "save_new"):
                        lookup.save_new()
                importer.write(plans)
            if rolled_up and (report.created or report.updated):
                rollups.rebuild()
            report.committed = True
            if before_commit is not None:
                before_commit(report)
    except IntegrityError as exc:
        # Someone else wrote a clashing row (an external id, a product name) while we checked.
        report.committed = False
        report.problems.append(Problem(0, "", _("The database refused the import: %(e)s") % {"e": exc}))
        return report
    except StaleVersion as exc:
        # Someone saved a row the import updates while it was being checked: check again.
        report.committed = False
        report.problems.append(Problem(0, "", _("%(e)s Nothing was imported; import again.") % {"e": exc}))
        return report
    return report
