"""Importing sales records and activities."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from dataio.imports.base import KindImporter
from dataio.imports.engine import Row
from history.versions import Versioned
from sales.models import Activity, SalesRecord


@dataclass
class Plan:
    obj: object
    changes: dict  # empty for a new row


class _SimpleImporter(KindImporter):
    """Rows with no stage history: new ones are bulk-created, changed ones bulk-updated, and their
    change history is written in bulk too."""

    def finish(self, row: Row, existing, values: dict) -> Plan | None:
        if row.problems:
            return None
        if existing is not None:
            changes = self.changed_fields(existing, values)
            if not changes:
                self.report.unchanged += 1
                return None
            self.report.updated += 1
            return Plan(existing, changes)
        self.report.created += 1
        return Plan(self.model(**{k: v for k, v in values.items() if v is not None}), {})

    def write(self, plans: list[Plan]) -> None:
        new = self.model.objects.bulk_create([p.obj for p in plans if not p.changes], batch_size=2000)
        self.log_created(new)
        changed = [p for p in plans if p.changes]
        for plan in changed:
            for name, value in plan.changes.items():
                setattr(plan.obj, name, value)
        names = sorted({name for p in changed for name in p.changes})
        if changed and issubclass(self.model, Versioned):
            # A page still open on a row the import changes must see that it is stale.
            for plan in changed:
                plan.obj.version += 1
            names.append("version")
        if changed:
            self.model.objects.bulk_update([p.obj for p in changed], names, batch_size=1000)
            self.log_changed([p.obj for p in changed], names)

    def owner_and_links(self, row: Row, existing) -> tuple:
        """Deal, customer and owner of a row; the customer and owner default to the deal's."""
        deal = row.mapped_value("deal")
        customer = row.mapped_value("customer")
        if customer is None and deal is not None and not row.problems_for("customer"):
            customer = deal.customer
        fallback = self.ctx.user
        if deal is not None:
            fallback = deal.owner
        elif customer is not None and customer.owner_id:
            fallback = customer.owner
        owner = None
        if existing is None or row.text("owner"):
            owner = self.owner(row, fallback=fallback)
        if customer is not None and customer.pk is None and not customer.owner_id and owner is not None:
            customer.owner = owner
        return deal, customer, owner


class SalesRecordImporter(_SimpleImporter):
    model = SalesRecord

    def check(self) -> list:
        # A deal has at most one sales record: note the ones taken before the file is read.
        self.deals_taken = {}
        lookup = self.ctx.lookups.get("deal")
        if lookup is not None and lookup.wanted:
            lookup.load()
            lookup.loaded = True
            ids = [d.pk for d in lookup.found.values()]
            self.deals_taken = dict(
                SalesRecord.objects.filter(deal_id__in=ids).values_list("deal_id", "external_id")
            )
        self.deals_in_file: dict[int, int] = {}
        return super().check()

    def check_row(self, row: Row) -> Plan | None:
        ext, existing = self.external_id(row)
        deal, customer, owner = self.owner_and_links(row, existing)
        values = {
            name: row.value(name)
            for name in ("amount", "sold_on", "product", "note")
            if name in self.ctx.mapping.fields
        }
        if customer is None and not row.problems:
            row.fail("customer", _("A sales record names its customer or its deal."))
        values.update(customer=customer, deal=deal, external_id=ext)
        if owner is not None:
            values["owner"] = owner
        if deal is not None:
            if deal.pk in self.deals_in_file:
                row.fail("deal", _("The deal is also on row %(n)s.") % {"n": self.deals_in_file[deal.pk]})
            self.deals_in_file[deal.pk] = row.number
            taken = deal.pk in self.deals_taken and (existing is None or existing.deal_id != deal.pk)
            if taken:
                row.fail("deal", _("This deal already has a sales record."))
        if values.get("note") is None:
            values.pop("note", None)
        return self.finish(row, existing, values)


class ActivityImporter(_SimpleImporter):
    model = Activity

    def check_row(self, row: Row) -> Plan | None:
        mapped = self.ctx.mapping.fields
        ext, existing = self.external_id(row)
        deal, customer, owner = self.owner_and_links(row, existing)
        if deal is None and customer is None and not row.problems:
            row.fail("customer", _("An activity belongs to a deal or a customer; this row names neither."))
        values = {
            name: row.value(name)
            for name in ("kind", "subject", "notes", "due_at", "done_at", "outcome")
            if name in mapped
        }
        done = row.mapped_value("done")
        if done and not values.get("done_at"):
            # Done without a date: it was done when it was due, or (with no due date either) now.
            values["done_at"] = values.get("due_at") or timezone.now()
        elif done is False:
            values["done_at"] = None
        values.update(deal=deal, customer=customer, external_id=ext)
        if owner is not None:
            values["owner"] = owner
        return self.finish(row, existing, values)
