"""Importing deals, with their stage history, closing dates and sales records kept as the source says.

A new deal is written with ``bulk_create`` for speed, but the rows are exactly those the verbs
would write for the same history (``open_deal`` at the opened-on date, ``move_to`` the stage it
reached, ``move_to`` the won stage or ``mark_lost`` at the closed-on date); a test holds the two
equal. A deal that already exists (same external id) changes through the verbs themselves.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Contact
from dataio.imports.base import KindImporter
from dataio.imports.engine import Row, contacts_by_customer, match_contacts
from dataio.imports.report import Problem
from dataio.imports.values import start_of_day
from sales.bulk import insert_objects, insert_rows
from sales.models import Deal, LostReason, SalesRecord, Stage, StageChange


class StageBook:
    """The stages, read once per import."""

    def __init__(self, lost_stage: str = ""):
        self.stages = list(Stage.objects.order_by("order"))
        self.by_id = {s.pk: s for s in self.stages}
        self.by_text = {s.key.casefold(): s for s in self.stages}
        for s in self.stages:
            self.by_text.setdefault(s.name.casefold(), s)
        open_stages = [s for s in self.stages if s.is_open]
        self.first = open_stages[0]
        # The first won stage, as Stage.objects.won() gives it; None when none is set up.
        self.won = next((s for s in self.stages if s.kind == Stage.Kind.WON), None)
        # Without a word from the source, a lost deal is taken to have got as far as it could.
        self.lost = self.by_text.get(lost_stage.casefold()) if lost_stage else open_stages[-1]


class ReasonBook:
    """The lost reasons, read once per import: a source's reason text names one of them (by its
    name or Chinese name, in any case), else it becomes the note of "Other"."""

    def __init__(self):
        self.by_text: dict[str, LostReason] = {}
        for reason in LostReason.objects.order_by("order", "pk"):
            self.by_text.setdefault(reason.name.casefold(), reason)
            if reason.local_name:
                self.by_text.setdefault(reason.local_name.casefold(), reason)
        self.other = LostReason.objects.fallback()

    def reason_and_note(self, text: str) -> tuple[LostReason | None, str]:
        reason = self.by_text.get(text.strip().casefold())
        if reason is not None:
            # "Other" named as such still needs a note: the text is all the source says.
            return reason, text if reason.needs_note else ""
        return self.other, text


@dataclass
class DealValues:
    """A row's deal as it should be, once converted and checked."""

    title: str
    customer: object
    owner: object
    amount: Decimal
    stage: Stage
    status: str
    probability: Decimal | None
    opened_on: datetime.date
    expected_close: datetime.date | None
    closed_on: datetime.date | None
    stage_entered_on: datetime.date | None
    lost_reason: LostReason | None
    lost_note: str
    channel: str
    product: object
    external_id: str | None
    contact: object = None


@dataclass
class NewDeal:
    """A row that adds a deal. Only its values are kept while checking: the rows to write are built
    by ``new_deal_rows`` at write time, so a dry run builds none of them."""

    values: DealValues


@dataclass
class DealUpdate:
    deal: Deal
    values: DealValues
    edits: dict = field(default_factory=dict)
    steps: list[tuple] = field(default_factory=list)  # ("move", stage, at) / ("lost", reason, note, on)


# The stage change and sales record columns a new deal's rows are written in (see ``new_deal_rows``).
CHANGE_FIELDS = [
    "deal_id", "from_stage_id", "to_stage_id", "status", "changed_at", "changed_by_id", "amount",
    "probability", "expected_close",
]  # fmt: skip
RECORD_FIELDS = [
    "customer_id", "owner_id", "deal_id", "product_id", "amount", "sold_on", "note", "created_at",
]  # fmt: skip


def new_deal(v: DealValues, book: StageBook) -> Deal:
    """The deal as the verbs would leave it after this history (unsaved; references by id, so the
    rows this import adds, such as new customers, must be saved first)."""
    first = book.first
    overridden = v.probability is not None
    stage, probability, version = first, v.probability if overridden else first.default_probability, 1
    status, reason_id, note, closed_on = Deal.Status.OPEN, None, "", None
    if v.status == Deal.Status.WON or v.stage != first:
        stage, version = v.stage, version + 1  # moved there from the first stage
        if not overridden:
            probability = stage.default_probability
    if v.status != Deal.Status.OPEN:
        status, closed_on = v.status, v.closed_on
    if v.status == Deal.Status.LOST:
        reason_id = v.lost_reason.pk if v.lost_reason is not None else None
        note, version = v.lost_note, version + 1
    return Deal(
        customer_id=_pk(v.customer),
        owner_id=_pk(v.owner),
        product_id=_pk(v.product),
        contact_id=_pk(v.contact),
        title=v.title,
        amount=v.amount,
        stage_id=stage.pk,
        probability=probability,
        probability_overridden=overridden,
        status=status,
        lost_reason_id=reason_id,
        lost_note=note,
        opened_on=v.opened_on,
        expected_close=v.expected_close,
        original_expected_close=v.expected_close,
        closed_on=closed_on,
        channel=v.channel,
        external_id=v.external_id,
        version=version,
    )


def new_deal_rows(
    deal: Deal, v: DealValues, book: StageBook, *, by_id, now
) -> tuple[list[tuple], tuple | None]:
    """The stage changes (CHANGE_FIELDS order) and sales record (RECORD_FIELDS order, None unless
    won) the verbs write for the saved ``deal``: ``open_deal`` at the opened-on date, ``move_to``
    the stage it reached (or the won stage at the closed-on date), ``mark_lost`` at the closed-on
    date. Each change carries the deal as it stood after that step."""
    first, pk, amount, expected = book.first, deal.pk, deal.amount, deal.expected_close
    overridden = deal.probability_overridden
    entry_probability = deal.probability if overridden else first.default_probability
    open_ = Deal.Status.OPEN
    changes = [
        (pk, None, first.pk, open_, start_of_day(v.opened_on), by_id, amount, entry_probability, expected)
    ]
    record = None
    if v.status == Deal.Status.WON:
        changes.append(
            (pk, first.pk, deal.stage_id, Deal.Status.WON, start_of_day(v.closed_on), by_id)
            + (amount, deal.probability, expected)
        )
        record = (deal.customer_id, deal.owner_id, pk, deal.product_id, amount, v.closed_on, "", now)
        return changes, record
    if v.stage != first:
        changes.append(
            (pk, first.pk, deal.stage_id, open_, start_of_day(v.stage_entered_on or v.opened_on), by_id)
            + (amount, deal.probability, expected)
        )
    if v.status == Deal.Status.LOST:
        changes.append(
            (pk, deal.stage_id, deal.stage_id, Deal.Status.LOST, start_of_day(v.closed_on), by_id)
            + (amount, deal.probability, expected)
        )
    return changes, record


def _pk(obj) -> int | None:
    return obj.pk if obj is not None else None


class DealImporter(KindImporter):
    model = Deal
    # An imported deal's entry stage change already says who brought it in; a "created" history row
    # per deal on top would double the time of a 100k-row import. Updates are logged as usual.
    logs_creations = False

    def __init__(self, ctx, report):
        super().__init__(ctx, report)
        self.book = StageBook(ctx.mapping.lost_stage)
        self.reasons = ReasonBook()
        self._users: dict[int, object] | None = None
        self._contacts: dict[int, list[Contact]] | None = None

    def user(self, pk: int):
        if self._users is None:
            self._users = {u.pk: u for u in get_user_model().objects.all()}
        return self._users.get(pk)

    def check_row(self, row: Row):
        ext, existing = self.external_id(row)
        v = self.values(row, ext, existing)
        if v is None or row.problems:
            return None
        if existing is None:
            self.report.created += 1
            return NewDeal(v)
        update = self.plan_update(row, existing, v)
        if row.problems:
            return None
        if update.edits or update.steps:
            self.report.updated += 1
            return update
        self.report.unchanged += 1
        return None

    def values(self, row: Row, ext: str | None, existing: Deal | None = None) -> DealValues | None:
        title = row.value("title")
        customer = row.value("customer")
        owner = self.deal_owner(row, customer)
        amount = row.mapped_value("amount")
        stage, status = self.stage_and_status(row)
        probability = row.mapped_value("probability")
        opened_on = row.mapped_value("opened_on")
        closed_on = row.mapped_value("closed_on")
        expected_close = row.mapped_value("expected_close")
        entered = row.mapped_value("stage_entered_on")
        lost_reason = row.mapped_value("lost_reason") or ""
        product = row.mapped_value("product")
        channel = row.mapped_value("channel")
        contact = self.contact(row, customer)
        if status is None or row.problems:
            return None
        if status == Deal.Status.OPEN:
            closed_on = None  # a source's close date on an open deal is its expected close
        elif closed_on is None:
            row.fail("closed_on", _("A closed deal needs the date it closed."))
            return None
        reason, note = self.lost_reason(row, lost_reason) if status == Deal.Status.LOST else (None, "")
        opened_on = self.open_date(row, opened_on, existing, closed_on, expected_close, entered)
        if opened_on is None:
            return None
        return DealValues(
            title=title,
            customer=customer,
            owner=owner,
            amount=amount if amount is not None else Decimal("0.00"),
            stage=stage,
            status=status,
            probability=probability,
            opened_on=opened_on,
            expected_close=expected_close,
            closed_on=closed_on,
            stage_entered_on=entered,
            lost_reason=reason,
            lost_note=note,
            channel=channel if channel is not None else (getattr(customer, "channel", "") or ""),
            product=product,
            external_id=ext,
            contact=contact,
        )

    def lost_reason(self, row: Row, text: str) -> tuple:
        """The reason of a lost row: the list's reason its text names, else "Other" with the text
        as the note; (None, "") with the row failed when there is none."""
        if not text:
            row.fail("lost_reason", _("A lost deal needs a reason (map a column or give a default)."))
            return None, ""
        reason, note = self.reasons.reason_and_note(text)
        if reason is None:
            row.fail(
                "lost_reason",
                _("“%(t)s” is not a lost reason, and no reason takes other text (as “Other” does).")
                % {"t": text},
            )
        return reason, note

    def open_date(self, row: Row, opened_on, existing, closed_on, expected_close, entered):
        """The deal's open date: the row's, else the deal's in the CRM, else what the mapping's
        ``missing_open_date`` says; None (the row failed) when there is none."""
        if opened_on is None:
            opened_on = existing.opened_on if existing is not None else None
        if opened_on is None:
            opened_on = self.missing_open_date(row, closed_on, expected_close, entered)
            if opened_on is None:
                return None
        opened_on = self.opening_day(row, opened_on, closed_on)
        if entered and not (opened_on <= entered <= (closed_on or entered)):
            row.fail("stage_entered_on", _("The stage was entered outside the deal's open dates."))
        return opened_on

    def missing_open_date(
        self,
        row: Row,
        closed_on: datetime.date | None,
        expected_close: datetime.date | None,
        entered: datetime.date | None,
    ) -> datetime.date | None:
        """The open date of a row that gives none, as the mapping's ``missing_open_date`` says."""
        policy = self.ctx.mapping.missing_open_date
        if policy == "error":
            row.fail(
                "opened_on",
                _(
                    "No open date. Map a column to it, or set the mapping's missing_open_date to "
                    "first_stage_entry or close_date."
                ),
            )
            return None
        if policy == "first_stage_entry" and entered is not None:
            return entered
        day = closed_on or expected_close
        if day is None:
            row.fail("opened_on", _("No open date, and no close date to open the deal on."))
            return None
        if policy == "first_stage_entry":
            warning = _("No open date: opened on %(d)s until a stage-history import gives its first stage.")
            self.report.warnings.append(Problem(row.number, row.column("opened_on"), warning % {"d": day}))
        return day

    def contact(self, row: Row, customer):
        """The row's contact among the customer's, by email or else by name (case aside)."""
        text = row.mapped_value("contact")
        if not text or customer is None:
            return None
        if self._contacts is None:
            # The contacts of every customer the file names, in one go (a customer this import
            # adds has none yet).
            found = self.ctx.lookups["customer"].found.values() if "customer" in self.ctx.lookups else ()
            self._contacts = contacts_by_customer(c.pk for c in found)
        found = match_contacts(self._contacts.get(customer.pk, []), text)
        if len(found) != 1:
            message = (
                _("%(customer)s has several contacts named “%(t)s”; give the email.")
                if found
                else _("%(customer)s has no contact “%(t)s”.")
            )
            row.fail("contact", message % {"customer": customer.name, "t": text})
            return None
        return found[0]

    def deal_owner(self, row: Row, customer):
        """The row's owner, by default the customer's (or the importing user's)."""
        fallback = self.ctx.user
        if customer is not None and customer.owner_id:
            fallback = self.user(customer.owner_id)
        owner = self.owner(row, fallback=fallback)
        if customer is not None and customer.pk is None and not customer.owner_id and owner is not None:
            customer.owner = owner  # a customer this import adds belongs to its first deal's owner
        return owner

    def opening_day(
        self, row: Row, opened_on: datetime.date, closed_on: datetime.date | None
    ) -> datetime.date:
        """The opening day; one after the close is moved to it or refused, as the mapping says."""
        if not closed_on or opened_on <= closed_on:
            return opened_on
        if self.ctx.mapping.opened_after_close == "use_close_date":
            warning = _("Opened after it closed; opened on the close date.")
            self.report.warnings.append(Problem(row.number, row.column("opened_on"), warning))
            return closed_on
        row.fail(
            "opened_on", _("Opened on %(o)s, after it closed on %(c)s.") % {"o": opened_on, "c": closed_on}
        )
        return opened_on

    def stage_from_text(self, row: Row) -> tuple[Stage | None, str | None] | None:
        """The stage the row names and the status it implies (lost, won); None when it names none."""
        book = self.book
        text = row.text("stage")
        if not text:
            return None, None
        folded = text.casefold()
        if folded == "lost" or folded.startswith("lost:"):
            key = folded.partition(":")[2].strip()
            stage = book.by_text.get(key) if key else book.lost
            if stage is None:
                row.fail("stage", _("No stage “%(s)s”.") % {"s": key})
                return None
            return stage, Deal.Status.LOST
        stage = book.by_text.get(folded)
        if stage is None:
            row.fail("stage", _("“%(t)s” is not a stage; add it to the mapping's values.") % {"t": text})
            return None
        return stage, None if stage.is_open else Deal.Status.WON

    def status_from_columns(self, row: Row, implied: str | None) -> str | None:
        """The status from a status column or won/closed flags; None when the file gives neither."""
        mapped = self.ctx.mapping.fields
        if "status" in mapped and row.text("status"):
            return row.value("status")
        if "is_won" not in mapped and "is_closed" not in mapped:
            return None
        won = row.mapped_value("is_won")
        closed = row.mapped_value("is_closed")
        if won and closed is False:
            row.fail("is_closed", _("A won deal is closed."))
            return None
        if won:
            return Deal.Status.WON
        if closed:
            return Deal.Status.LOST
        if closed is None and implied == Deal.Status.LOST:
            return implied  # "not won" alone does not say whether the deal is still open
        return Deal.Status.OPEN

    def stage_and_status(self, row: Row) -> tuple[Stage | None, str | None]:
        book = self.book
        named = self.stage_from_text(row)
        if named is None:
            return None, None
        stage, implied = named
        status = self.status_from_columns(row, implied)
        if row.problems:
            return None, None
        if status is None:
            status = implied or Deal.Status.OPEN
        elif implied and status != implied:
            row.fail(
                "stage", _("The stage says %(a)s but the status says %(b)s.") % {"a": implied, "b": status}
            )
            return None, None
        if status == Deal.Status.WON:
            stage = stage if stage is not None and not stage.is_open else book.won
            if stage is None:
                row.fail("stage", _("No stage is set up as the won stage; ask an admin."))
                return None, None
        elif stage is None:
            stage = book.lost if status == Deal.Status.LOST else book.first
        elif not stage.is_open:
            row.fail(
                "stage", _("An open or lost deal stays in an open stage, not “%(s)s”.") % {"s": stage.name}
            )
            return None, None
        return stage, status

    def plan_update(self, row: Row, deal: Deal, v: DealValues) -> DealUpdate:
        mapped = self.ctx.mapping.fields
        up = DealUpdate(deal, v)
        wanted = {"title": v.title, "customer": v.customer, "owner": v.owner, "amount": v.amount}
        for name in ("expected_close", "channel", "product", "opened_on", "contact"):
            if name in mapped:
                wanted[name] = getattr(v, name)
        if v.status == Deal.Status.LOST and deal.status == Deal.Status.LOST:
            wanted["lost_reason"] = v.lost_reason
            wanted["lost_note"] = v.lost_note
        up.edits = self.changed_fields(deal, wanted)
        current = self.book.by_id[deal.stage_id]
        now = timezone.now()
        moved_at = start_of_day(v.stage_entered_on) if v.stage_entered_on else now
        if deal.status == Deal.Status.OPEN:
            if v.probability is not None and v.probability != deal.probability:
                up.steps.append(("probability", v.probability))
            if v.status == Deal.Status.WON:
                up.steps.append(("move", v.stage, start_of_day(v.closed_on)))
            elif v.stage != current:
                up.steps.append(("move", v.stage, moved_at))
            if v.status == Deal.Status.LOST:
                up.steps.append(("lost", v.lost_reason, v.lost_note, v.closed_on))
            return up
        if v.status != deal.status:
            row.fail("status" if "status" in mapped else "stage",
                     _("The deal is %(a)s in the CRM; an import does not reopen or change it to %(b)s.")
                     % {"a": deal.status, "b": v.status})  # fmt: skip
        elif v.closed_on != deal.closed_on:
            row.fail("closed_on", _("The deal closed on %(d)s in the CRM; an import does not change that.")
                     % {"d": deal.closed_on})  # fmt: skip
        elif v.stage != current:
            if deal.status == Deal.Status.LOST:
                row.fail("stage", _("A lost deal does not move between stages."))
            else:
                up.steps.append(("move", v.stage, moved_at))
        return up

    def write(self, plans: list) -> None:
        self.write_new([p.values for p in plans if isinstance(p, NewDeal)])
        for plan in plans:
            if isinstance(plan, DealUpdate):
                self.apply_update(plan)
        # Every deal, stage change and sales record of the import is written at this point (still
        # inside the import's transaction).

    def write_new(self, new: list[DealValues]) -> None:
        """New deals with their stage changes and sales records, streamed in bulk (COPY on PostgreSQL)."""
        if not new:
            return
        deals = insert_objects(Deal, [new_deal(v, self.book) for v in new])
        by_id = self.ctx.user.pk if self.ctx.user is not None else None
        now = timezone.now()
        changes, records = [], []
        for deal, v in zip(deals, new, strict=True):
            deal_changes, record = new_deal_rows(deal, v, self.book, by_id=by_id, now=now)
            changes += deal_changes
            if record is not None:
                records.append(record)
        insert_rows(StageChange, CHANGE_FIELDS, changes)
        insert_rows(SalesRecord, RECORD_FIELDS, records)
        self.log_created(deals)

    def apply_update(self, up: DealUpdate) -> None:
        deal, by = up.deal, self.ctx.user
        if up.edits:
            deal.apply_edit(up.edits, version=deal.version)
        for step in up.steps:
            if step[0] == "probability":
                deal.set_probability(step[1])
            elif step[0] == "move":
                deal.move_to(step[1], by=by, at=step[2])
            elif step[0] == "lost":
                deal.mark_lost(step[1], note=step[2], by=by, on=step[3], at=start_of_day(step[3]))
