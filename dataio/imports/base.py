"""What every kind importer shares: owners, external ids, and history rows for what it wrote."""

from django.utils.translation import gettext as _

from dataio.imports.engine import Context, Row, clean_external_id, existing_by_external_id
from dataio.imports.report import ImportReport, Problem
from history.models import record_changed_in_bulk, record_created_in_bulk


class KindImporter:
    model = None
    # Fields copied as they are from the row to the model (each only when the mapping maps it).
    simple_fields: tuple[str, ...] = ()
    # Whether each new row gets a "created" history row (see DealImporter for why not always).
    # Rows changed one by one (``save()``, the deal verbs) record their own history.
    logs_creations = True

    def __init__(self, ctx: Context, report: ImportReport):
        self.ctx = ctx
        self.report = report
        self.seen_ids: dict[str, int] = {}
        self.existing: dict[str, object] = {}

    def load_existing(self) -> None:
        if "external_id" in self.ctx.mapping.fields:
            ids = [row.text("external_id") for row in self.ctx.rows()]
            self.existing = existing_by_external_id(self.model, [i for i in ids if i])

    def check(self) -> list:
        """Convert and check every row; return what to write. Problems go to the report."""
        self.load_existing()
        plans = []
        width = len(self.ctx.table.headers)
        progress = self.ctx.progress
        step = max(1, len(self.ctx.table.rows) // 100)
        for checked, row in enumerate(self.ctx.rows()):
            if progress is not None and checked % step == 0:
                progress(checked)
            if any(c.strip() for c in row.cells[width:]):
                # Usually an unquoted comma inside a value: every later cell is in the wrong column.
                row.problems.append(
                    Problem(
                        row.number,
                        "",
                        _("This row has %(n)s cells but the header names %(m)s columns; is a comma unquoted?")
                        % {"n": len(row.cells), "m": width},
                    )
                )
                self.report.problems.extend(row.problems)
                continue
            plan = self.check_row(row)
            if row.problems:
                self.report.problems.extend(row.problems)
            elif plan is not None:
                plans.append(plan)
        return plans

    def check_row(self, row: Row):
        raise NotImplementedError

    def write(self, plans: list) -> None:
        raise NotImplementedError

    # Helpers for the kinds.

    def external_id(self, row: Row) -> tuple[str | None, object | None]:
        """The row's external id and the record it names, if that record may be changed."""
        ext = clean_external_id(row, self.seen_ids)
        obj = self.existing.get(ext) if ext else None
        if obj is not None and not self.ctx.may_own(obj.owner_id):
            row.fail("external_id", _("This external id belongs to a record you may not change."))
            return ext, None
        return ext, obj

    def owner(self, row: Row, fallback=None):
        """The row's owner: from its column, else ``fallback``; checked against what the user may see."""
        user = row.value("owner") if row.text("owner") else fallback
        if user is None:
            if not row.problems_for("owner"):
                row.fail("owner", _("Say who owns this row (map the owner column)."))
            return None
        if user.pk is not None and not self.ctx.may_own(user.pk):
            row.fail("owner", _("You may not import records for %(user)s.") % {"user": user.get_username()})
            return None
        return user

    def simple_values(self, row: Row) -> dict:
        return {name: row.value(name) for name in self.simple_fields if name in self.ctx.mapping.fields}

    @staticmethod
    def changed_fields(obj, values: dict) -> dict:
        out = {}
        for name, value in values.items():
            field = obj._meta.get_field(name)
            if field.is_relation:
                # Compared by id; kept as the object, which may be one this import is about to add.
                if getattr(obj, field.attname) != (value.pk if value is not None else None):
                    out[name] = value
                continue
            if value is None and not field.null:
                value = field.get_default()
            if getattr(obj, name) != value:
                out[name] = value
        return out

    def log_created(self, objects: list) -> None:
        """History for rows written by ``bulk_create``, which calls no ``save()``."""
        if self.logs_creations and objects:
            record_created_in_bulk(objects)

    def log_changed(self, objects: list, names) -> None:
        """History for rows written by ``bulk_update``: the ``names`` fields that differ."""
        if objects:
            record_changed_in_bulk(objects, names)
