"""Importing customers."""

from dataclasses import dataclass

from customers.models import Customer
from dataio.imports.base import KindImporter
from dataio.imports.engine import Row


@dataclass
class CustomerPlan:
    customer: Customer
    changes: dict  # empty for a new customer


class CustomerImporter(KindImporter):
    model = Customer
    simple_fields = (
        "name", "kind", "industry", "region", "channel", "email", "phone", "website", "address", "need",
        "notes",
    )  # fmt: skip

    def check_row(self, row: Row) -> CustomerPlan | None:
        ext, existing = self.external_id(row)
        values = self.simple_values(row)
        # A re-imported row with a blank owner keeps the owner it has.
        owner = None
        if existing is None or row.text("owner"):
            owner = self.owner(row, fallback=self.ctx.user)
        if row.problems:
            return None
        if existing is not None:
            if owner is not None:
                values["owner"] = owner
            changes = self.changed_fields(existing, values)
            if changes:
                self.report.updated += 1
                return CustomerPlan(existing, changes)
            self.report.unchanged += 1
            return None
        self.report.created += 1
        values = {k: v for k, v in values.items() if v is not None}
        return CustomerPlan(Customer(external_id=ext, owner=owner, **values), {})

    def write(self, plans: list[CustomerPlan]) -> None:
        new = [p.customer for p in plans if not p.changes]
        Customer.objects.bulk_create(new, batch_size=1000)
        self.log_created(new)
        for plan in plans:
            if plan.changes:
                for name, value in plan.changes.items():
                    setattr(plan.customer, name, value)
                plan.customer.save(update_fields=[*plan.changes, "updated_at"])
