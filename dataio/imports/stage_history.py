"""Importing a deal's stage history: one row per stage the deal entered, as the source kept it.

The rows of each deal named in the file become that deal's whole stage path, in entered-at order:
forward moves, moves back, a win, and a loss after a win are all written as they happened. The
file replaces the path the deal had (its entry row from the deals import, moves made since), so
importing the same file again gives the same result. The deal itself follows its last entry:

- stage, status (open, won or lost) and closed-on date (the day it was won or lost);
- opened on the day of its first entry (the day it entered the pipeline);
- amount of its last entry that gives one; probability its override, or its stage's default.

Lost reason: the row's own, else the deal's, else the mapping's default.

Sales record: a deal whose path ends won has one sales record, dated the day it was won, for the
deal's amount (created, or moved to that date and amount). A deal whose path ends lost or open has
none: a sales record it had is removed, with a warning and a "deleted" history row, because the
source says the sale did not stand.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from dataio.imports.base import KindImporter
from dataio.imports.deals import ReasonBook, StageBook
from dataio.imports.engine import Row
from dataio.imports.report import Problem
from history.models import record_deleted_in_bulk
from sales.models import Deal, SalesRecord, Stage, StageChange

CHUNK = 5000
DEAL_FIELDS = [
    "stage",
    "status",
    "closed_on",
    "opened_on",
    "amount",
    "probability",
    "lost_reason",
    "lost_note",
    "version",
]


@dataclass
class Entry:
    """One row of the file: the deal entered ``stage`` (or was lost, ``lost``) at ``at``."""

    row: int
    stage: Stage | None  # None: lost without naming the stage, so where the deal then was
    lost: bool
    at: datetime.datetime
    amount: Decimal | None
    probability: Decimal | None
    expected_close: datetime.date | None
    lost_reason: str


@dataclass
class Walk:
    """A deal's path read from its entries: the ledger rows and where the path ends."""

    amount: Decimal
    changes: list = field(default_factory=list)
    stage: Stage | None = None
    status: str = Deal.Status.OPEN
    closed_on: datetime.date | None = None
    lost_reason: str = ""


@dataclass
class DealPath:
    deal: Deal
    changes: list[StageChange]
    values: dict
    sale: SalesRecord | None = None
    sale_changes: dict = field(default_factory=dict)
    sale_record: SalesRecord | None = None  # the sale the deal has, when its date or amount changes
    drop_sale: SalesRecord | None = None


def _key(change: StageChange) -> tuple:
    return (
        change.from_stage_id,
        change.to_stage_id,
        change.status,
        change.changed_at,
        change.amount,
        change.probability,
        change.expected_close,
    )


class StageHistoryImporter(KindImporter):
    model = Deal

    def __init__(self, ctx, report):
        super().__init__(ctx, report)
        self.book = StageBook(ctx.mapping.lost_stage)
        self.reasons = ReasonBook()
        self.now = timezone.now()
        self.entries: dict[int, list[Entry]] = {}
        self.deals: dict[int, Deal] = {}
        fm = ctx.mapping.fields.get("lost_reason")
        self.default_reason = fm.default if fm else ""

    def load_existing(self) -> None:
        """Deals are found by the deal column's lookup, not by an external id of the row."""

    def check(self) -> list:
        super().check()
        if self.report.problems:
            return []
        return self.build_paths()

    def check_row(self, row: Row):
        deal = row.value("deal")
        stage, lost = self.stage(row)
        at = row.value("entered_at")
        amount = row.mapped_value("amount")
        probability = row.mapped_value("probability")
        expected_close = row.mapped_value("expected_close")
        lost_reason = row.mapped_value("lost_reason") or ""
        if lost_reason == self.default_reason:
            lost_reason = ""  # the mapping's default comes after the deal's own reason
        if deal is None or row.problems:
            return None
        if not self.ctx.may_own(deal.owner_id):
            row.fail("deal", _("This deal belongs to someone whose deals you may not change."))
            return None
        if at > self.now:
            row.fail("entered_at", _("Entered at %(at)s, which is in the future.") % {"at": _show(at)})
            return None
        path = self.entries.setdefault(deal.pk, [])
        if path and at < path[-1].at:
            row.fail(
                "entered_at",
                _(
                    "Entered at %(at)s, before this deal's previous entry on row %(n)s (%(prev)s); "
                    "sort each deal's rows by date."
                )
                % {"at": _show(at), "n": path[-1].row, "prev": _show(path[-1].at)},
            )
            return None
        self.deals[deal.pk] = deal
        path.append(Entry(row.number, stage, lost, at, amount, probability, expected_close, lost_reason))
        return None

    def stage(self, row: Row) -> tuple[Stage | None, bool]:
        text = row.text("stage")
        if not text:
            return None, False
        folded = text.casefold()
        if folded == "lost" or folded.startswith("lost:"):
            key = folded.partition(":")[2].strip()
            stage = self.book.by_text.get(key) if key else None
            if key and (stage is None or not stage.is_open):
                row.fail("stage", _("A deal is lost in an open stage, not “%(s)s”.") % {"s": key})
            return stage, True
        stage = self.book.by_text.get(folded)
        if stage is None:
            row.fail("stage", _("“%(t)s” is not a stage; add it to the mapping's values.") % {"t": text})
        return stage, False

    def build_paths(self) -> list[DealPath]:
        deal_ids = list(self.entries)
        existing: dict[int, list[tuple]] = {pk: [] for pk in deal_ids}
        sales: dict[int, SalesRecord] = {}
        for i in range(0, len(deal_ids), CHUNK):
            part = deal_ids[i : i + CHUNK]
            changes = StageChange.objects.filter(deal_id__in=part).order_by("deal_id", "changed_at", "pk")
            for change in changes:
                existing[change.deal_id].append(_key(change))
            # The sale in force: a reopened deal also keeps its reversed sale and the reversal.
            sales.update({s.deal_id: s for s in SalesRecord.objects.in_force().filter(deal_id__in=part)})
        plans = []
        for pk, entries in self.entries.items():
            plan = self.build_path(self.deals[pk], entries, sales.get(pk))
            if plan is None:
                continue
            same_path = [_key(c) for c in plan.changes] == existing[pk]
            same_sale = plan.sale is None and not plan.sale_changes and plan.drop_sale is None
            if same_path and same_sale and not plan.values:
                self.report.unchanged += 1
                continue
            self.report.updated += 1
            plans.append(plan)
        return plans

    def build_path(self, deal: Deal, entries: list[Entry], sale: SalesRecord | None) -> DealPath | None:
        walk = self.walk(deal, entries)
        last = entries[-1]
        reason, note = None, ""
        if walk.status == Deal.Status.LOST:
            reason, note = self.lost_reason(deal, walk.lost_reason)
            if reason is None:
                message = _("A lost deal needs a reason (map a column or give a default).")
                self.fail(last.row, "lost_reason", message)
                return None
        wanted = {
            "stage": walk.stage,
            "status": walk.status,
            "closed_on": walk.closed_on,
            "opened_on": timezone.localdate(entries[0].at),
            "amount": walk.amount,
            "probability": deal.probability
            if deal.probability_overridden
            else walk.stage.default_probability,
            "lost_reason": reason,
            "lost_note": note,
        }
        plan = DealPath(deal=deal, changes=walk.changes, values=self.changed_fields(deal, wanted))
        self.plan_sale(plan, sale, walk, last.row)
        return plan

    def walk(self, deal: Deal, entries: list[Entry]) -> "Walk":
        """The ledger rows of the deal's path, entry by entry, and where the path ends."""
        by = self.ctx.user
        walk = Walk(amount=deal.amount)
        last_open: Stage | None = None
        for e in entries:
            if e.amount is not None:
                walk.amount = e.amount
            if e.lost:
                to = e.stage or last_open or self.book.lost
                new_status = Deal.Status.LOST
                walk.lost_reason = e.lost_reason or walk.lost_reason
            else:
                to = e.stage
                new_status = Deal.Status.OPEN if to.is_open else Deal.Status.WON
            if to == walk.stage and new_status == walk.status:
                continue  # a snapshot of an amount or date change, not a move
            if new_status != walk.status:
                walk.closed_on = None if new_status == Deal.Status.OPEN else timezone.localdate(e.at)
            if new_status == Deal.Status.OPEN:
                last_open = to
            probability = e.probability
            if probability is None:
                probability = deal.probability if deal.probability_overridden else to.default_probability
            walk.changes.append(
                StageChange(
                    deal_id=deal.pk,
                    from_stage_id=walk.stage.pk if walk.stage is not None else None,
                    to_stage_id=to.pk,
                    status=new_status,
                    changed_at=e.at,
                    changed_by_id=by.pk if by is not None else None,
                    amount=walk.amount,
                    probability=probability,
                    expected_close=e.expected_close or deal.expected_close,
                )
            )
            walk.stage, walk.status = to, new_status
        return walk

    def lost_reason(self, deal: Deal, text: str) -> tuple:
        """The reason of a path that ends lost: the file's text names one of the managed reasons,
        else it is the note of "Other"; without text the deal's own reason, else the mapping's
        default; (None, "") when there is none."""
        if text:
            return self.reasons.reason_and_note(text)
        if deal.lost_reason_id:
            return deal.lost_reason, deal.lost_note
        if self.default_reason:
            return self.reasons.reason_and_note(self.default_reason)
        return None, ""

    def plan_sale(self, plan: DealPath, sale: SalesRecord | None, walk: "Walk", row: int) -> None:
        """A path that ends won has exactly one sale, dated the win; any other ending has none."""
        deal = plan.deal
        if walk.status == Deal.Status.WON:
            if sale is None:
                plan.sale = SalesRecord(
                    deal_id=deal.pk,
                    customer_id=deal.customer_id,
                    owner_id=deal.owner_id,
                    product_id=deal.product_id,
                    amount=walk.amount,
                    sold_on=walk.closed_on,
                )
            else:
                plan.sale_changes = self.changed_fields(
                    sale, {"amount": walk.amount, "sold_on": walk.closed_on}
                )
                plan.sale_record = sale
        elif sale is not None:
            plan.drop_sale = sale
            self.report.warnings.append(
                Problem(
                    row,
                    self.column("stage"),
                    _("The deal ends %(status)s, so its sales record of %(amount)s on %(day)s is removed.")
                    % {
                        "status": str(Deal.Status(walk.status).label).lower(),
                        "amount": sale.amount,
                        "day": sale.sold_on,
                    },
                )
            )

    def column(self, name: str) -> str:
        fm = self.ctx.mapping.fields.get(name)
        return fm.column_label if fm and fm.columns else str(self.ctx.defs[name].label)

    def fail(self, row: int, name: str, reason: str) -> None:
        self.report.problems.append(Problem(row, self.column(name), str(reason)))

    def write(self, plans: list[DealPath]) -> None:
        deal_ids = [p.deal.pk for p in plans]
        for i in range(0, len(deal_ids), CHUNK):
            # A queryset delete: the ledger refuses a single row's delete, but this file replaces
            # the whole path of each deal it names.
            StageChange.objects.filter(deal_id__in=deal_ids[i : i + CHUNK]).delete()
        StageChange.objects.bulk_create([c for p in plans for c in p.changes], batch_size=CHUNK)
        deals = []
        for plan in plans:
            deal = plan.deal
            for name, value in plan.values.items():
                setattr(deal, name, value)
            deal.version += 1
            deal.updated_at = self.now
            deals.append(deal)
        Deal.objects.bulk_update(deals, [*DEAL_FIELDS, "updated_at"], batch_size=1000)
        self.log_changed(deals, DEAL_FIELDS)
        new_sales = [p.sale for p in plans if p.sale is not None]
        SalesRecord.objects.bulk_create(new_sales, batch_size=CHUNK)
        self.log_created(new_sales)
        moved = []
        for plan in plans:
            if plan.sale_changes:
                for name, value in plan.sale_changes.items():
                    setattr(plan.sale_record, name, value)
                moved.append(plan.sale_record)
        if moved:
            SalesRecord.objects.bulk_update(moved, ["amount", "sold_on"], batch_size=1000)
            self.log_changed(moved, ["amount", "sold_on"])
        dropped = [p.drop_sale for p in plans if p.drop_sale is not None]
        if dropped:
            record_deleted_in_bulk(dropped)
            SalesRecord.objects.filter(pk__in=[s.pk for s in dropped]).delete()


def _show(at: datetime.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
