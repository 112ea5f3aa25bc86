import datetime
import functools
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from history.actor import acting_as
from history.ledger import AppendOnly
from history.models import Tracked, record_update
from people.visibility import owner_filter, sees_records_of
from sales import rollups
from sales.models.catalog import LostReason, Product, Stage
from sales.models.records import SalesRecord

# The fields of a deal the rollups read.
ROLLED_FIELDS = {
    "status", "closed_on", "lost_reason", "amount", "owner", "product", "channel", "opened_on", "customer",
    "stage", "probability", "probability_overridden", "expected_close", "original_expected_close",
}  # fmt: skip


def rolled_up(verb):
    """Run a deal's verb in one rollup bracket, so its steps (the write, the ledger row, the sale,
    the activities) read the deal's facts twice in all, not twice each."""

    @functools.wraps(verb)
    def run(self, *args, **kwargs):
        with rollups.bracket(self.touch()):
            return verb(self, *args, **kwargs)

    return run


class DealError(Exception):
    """A deal action that the rules refuse; the message is shown to the user as is."""


class StaleEdit(DealError):
    """The deal changed since the copy the user edited; ``current`` is the fresh row."""

    def __init__(self, current: "Deal"):
        self.current = current
        super().__init__(_("This deal was changed by someone else since you opened it."))


class DealQuerySet(models.QuerySet):
    def visible_to(self, user) -> "DealQuerySet":
        return self.filter(owner_filter(user))

    def open(self) -> "DealQuerySet":
        return self.filter(status=Deal.Status.OPEN)

    def won(self) -> "DealQuerySet":
        return self.filter(status=Deal.Status.WON)

    def lost(self) -> "DealQuerySet":
        return self.filter(status=Deal.Status.LOST)

    def closed(self) -> "DealQuerySet":
        return self.exclude(status=Deal.Status.OPEN)

    def closed_between(self, start: datetime.date, end: datetime.date) -> "DealQuerySet":
        return self.closed().filter(closed_on__gte=start, closed_on__lte=end)

    def closing_between(self, start: datetime.date, end: datetime.date) -> "DealQuerySet":
        return self.filter(expected_close__gte=start, expected_close__lte=end)

    def for_display(self) -> "DealQuerySet":
        """With what a deal's page, card and API answer show beside it, in the same query."""
        return self.select_related("customer", "owner", "stage", "product", "contact", "lost_reason")

    def search(self, text: str) -> "DealQuerySet":
        text = text.strip()
        if not text:
            return self
        return self.filter(models.Q(title__icontains=text) | models.Q(customer__name__icontains=text))


class Deal(Tracked):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="deals", verbose_name=_("customer")
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deals", verbose_name=_("owner")
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals", verbose_name=_("stage"))
    probability = models.DecimalField(
        _("probability (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    probability_overridden = models.BooleanField(_("probability set by hand"), default=False)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    lost_reason = models.ForeignKey(
        LostReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deals",
        verbose_name=_("lost reason"),
    )
    lost_note = models.TextField(_("lost note"), blank=True)
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    original_expected_close = models.DateField(
        _("first expected close"), null=True, blank=True, editable=False
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=100, blank=True)
    product = models.ForeignKey(
        Product,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
        verbose_name=_("product"),
    )
    # The person at the customer the deal is with; one of the customer's contacts.
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
        verbose_name=_("contact"),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DealQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_on", "-pk"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["status", "closed_on"]),
            models.Index(fields=["status", "expected_close"]),
            models.Index(fields=["stage", "status"]),
            models.Index(fields=["opened_on"]),
            # The open book as the dashboard reads it (per rep: pipeline, weighted, risk; forecast
            # by expected close): an index-only scan of the open deals on PostgreSQL.
            models.Index(
                fields=["owner", "expected_close"],
                include=[
                    "id", "amount", "probability", "probability_overridden", "stage", "opened_on",
                    "original_expected_close",
                ],
                condition=models.Q(status="open"),
                name="deal_open_book",
            ),
            # The biggest open deals first (the risk list): read in order, stopped at the tenth.
            models.Index(
                models.F("amount").desc(), condition=models.Q(status="open"), name="deal_open_amount"
            ),
        ]  # fmt: skip
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open", closed_on__isnull=True)
                | (~models.Q(status="open") & models.Q(closed_on__isnull=False)),
                name="deal_closed_on_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("sales:deal_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / 100).quantize(Decimal("0.01"))

    @property
    def slipped(self) -> bool:
        return bool(
            self.expected_close
            and self.original_expected_close
            and self.expected_close > self.original_expected_close
        )

    def touch(self) -> "rollups.Touch":
        """The rows a change of this deal can move in the rollups: itself and all that hangs on it."""
        return rollups.Touch(deals={self.pk}, ledgers={self.pk}, families={self.pk})

    def _write(self, **changes) -> None:
        """Save ``changes`` only if nobody saved the deal since this copy was read.

        A versioned ``update()`` passes by ``save()``, so the change history is written here, in
        the same transaction: a refused write leaves no history.
        """
        touch = self.touch() if ROLLED_FIELDS & set(changes) else rollups.Touch()
        with transaction.atomic(savepoint=False), rollups.bracket(touch):
            updated = Deal.objects.filter(pk=self.pk, version=self.version).update(
                **changes, version=self.version + 1, updated_at=timezone.now()
            )
            if updated:
                record_update(self, changes)
        if not updated:
            raise StaleEdit(Deal.objects.select_related("stage", "customer", "owner").get(pk=self.pk))
        for name, value in changes.items():
            setattr(self, name, value)
        self.version += 1

    def record_stage_change(
        self, *, from_stage: Stage | None, by, at: datetime.datetime, note: str = ""
    ) -> "StageChange":
        """Add the deal as it now stands to the stage-change ledger, arriving from ``from_stage``."""
        change = StageChange.for_deal(self, from_stage_id=from_stage.pk if from_stage else None, by=by, at=at)
        change.note = note
        change.save()
        return change

    @transaction.atomic
    @rolled_up
    def move_to(self, stage: Stage, *, by, at: datetime.datetime | None = None) -> "StageChange | None":
        """Move the deal to ``stage``, recording the move; reaching the won stage wins the deal."""
        if stage.pk == self.stage_id:
            # A second drop on the won column (a stale board, a double click) is refused like the
            # won buttons refuse it, rather than answered as if the deal had just been won.
            if self.status == self.Status.WON and stage.kind == Stage.Kind.WON:
                raise DealError(_("Only an open deal can be won."))
            return None
        if self.status == self.Status.LOST:
            raise DealError(_("A lost deal cannot move between stages."))
        if self.status == self.Status.WON and stage.is_open:
            raise DealError(_("A won deal cannot go back to an open stage; reopen it instead."))
        at = at or timezone.now()
        from_stage = self.stage
        changes: dict = {"stage": stage}
        if not self.probability_overridden:
            changes["probability"] = stage.default_probability
        won_now = self.status == self.Status.OPEN and not stage.is_open
        if won_now:
            changes["status"] = self.Status.WON
            changes["closed_on"] = timezone.localdate(at) if timezone.is_aware(at) else at.date()
        # The sales record a win creates is ``by``'s doing too, in its history.
        with acting_as(by):
            self._write(**changes)
            change = self.record_stage_change(from_stage=from_stage, by=by, at=at)
            if won_now and not SalesRecord.objects.in_force().filter(deal=self).exists():
                SalesRecord.objects.create(
                    deal=self,
                    customer_id=self.customer_id,
                    owner_id=self.owner_id,
                    product_id=self.product_id,
                    amount=self.amount,
                    sold_on=self.closed_on,
                )
        return change

    @transaction.atomic
    @rolled_up
    def mark_lost(
        self,
        reason: "LostReason | str | None",
        *,
        by,
        note: str = "",
        on: datetime.date | None = None,
        at: datetime.datetime | None = None,
    ) -> "StageChange":
        """Lose the open deal for a reason from the list; "Other" (a reason that needs a note) and
        its like need the note that says more."""
        if self.status != self.Status.OPEN:
            raise DealError(_("Only an open deal can be marked lost."))
        if isinstance(reason, str):
            # A reason typed as text (a batch action, a script): the list's reason it names, else
            # "Other" with the text as its note.
            reason, typed = LostReason.objects.for_text(reason)
        else:
            typed = ""
        if reason is None:
            raise DealError(_("Say why the deal was lost."))
        # The typed text leads the note, unless the note already says it.
        note = (note or "").strip()
        if typed and typed != note:
            note = f"{typed} {note}".strip()
        if reason.needs_note and not note:
            raise DealError(_("“%(reason)s” needs a note that says more.") % {"reason": reason.display_name})
        at = at or timezone.now()
        closed_on = on or timezone.localdate(at)
        with acting_as(by):
            self._write(status=self.Status.LOST, lost_reason=reason, lost_note=note, closed_on=closed_on)
            # Nobody works a lost deal: what was still to do on it is cancelled, not left overdue.
            for activity in self.activities.pending():
                activity.cancelled_at = at
                activity.save(update_fields=["cancelled_at"])
        return self.record_stage_change(from_stage=self.stage, by=by, at=at)

    def may_reopen(self, user) -> bool:
        """Whoever may see the deal may reopen it: its owner, the managers of a team the owner is in,
        and admins."""
        return sees_records_of(user, self.owner_id)

    @transaction.atomic
    @rolled_up
    def reopen(
        self, stage: Stage, *, by, note: str = "", at: datetime.datetime | None = None
    ) -> "StageChange":
        """Put the won or lost deal back in the open ``stage``, recording the step like a move.

        A won deal's sale is not deleted: a reversing entry dated the day of the reopening takes it
        back, so the period the sale was booked in keeps it and this period shows the reversal.
        """
        if not self.may_reopen(by):
            raise PermissionDenied(_("Only the deal's owner, their managers and admins may reopen it."))
        if self.status == self.Status.OPEN:
            raise DealError(_("The deal is open already; only a won or lost deal can be reopened."))
        if not stage.is_open:
            raise DealError(_("Reopen the deal in an open stage."))
        at = at or timezone.now()
        note = " ".join((note or "").split())
        was_won = self.status == self.Status.WON
        from_stage = self.stage
        changes: dict = {
            "stage": stage,
            "status": self.Status.OPEN,
            "closed_on": None,
            "lost_reason": None,
            "lost_note": "",
        }
        if not self.probability_overridden:
            changes["probability"] = stage.default_probability
        # The reversing entry is ``by``'s doing too, in its history.
        with acting_as(by):
            self._write(**changes)
            change = self.record_stage_change(from_stage=from_stage, by=by, at=at, note=note)
            if was_won:
                sale = SalesRecord.objects.in_force().filter(deal=self).select_for_update().first()
                if sale is not None:
                    sale.reverse(on=timezone.localdate(at) if timezone.is_aware(at) else at.date(), note=note)
            else:
                # What was cancelled with the loss is to do again.
                for activity in self.activities.filter(cancelled_at__isnull=False, done_at__isnull=True):
                    activity.cancelled_at = None
                    activity.save(update_fields=["cancelled_at"])
        return change

    def set_probability(self, value: Decimal) -> None:
        """Override the stage's default probability; kept through later moves until cleared."""
        value = Decimal(value)
        if not Decimal("0") <= value <= Decimal("100"):
            raise DealError(_("Probability must be between 0 and 100."))
        self._write(probability=value, probability_overridden=True)

    def clear_probability_override(self) -> None:
        self._write(probability=self.stage.default_probability, probability_overridden=False)

    def win(self, *, by, at: datetime.datetime | None = None) -> "StageChange | None":
        """Move the open deal to the won stage, recording its sale."""
        if self.status != self.Status.OPEN:
            raise DealError(_("Only an open deal can be won."))
        stage = Stage.objects.won().first()
        if stage is None:
            raise DealError(_("No stage is set up as the won stage; ask an admin."))
        return self.move_to(stage, by=by, at=at)

    def apply_edit(self, changes: dict, *, version: int) -> None:
        """Save an edit made from the copy at ``version``; refuse it if the deal changed since.

        Stage, status and probability have their own verbs and are not accepted here.
        """
        forbidden = {"stage", "stage_id", "status", "closed_on", "probability", "version"} & set(changes)
        if forbidden:
            raise ValueError(f"apply_edit does not change {sorted(forbidden)}")
        self.version = version
        if "expected_close" in changes and self.original_expected_close is None:
            changes = {**changes, "original_expected_close": changes["expected_close"]}
        self._write(**changes)


class StageChangeQuerySet(models.QuerySet):
    def visible_to(self, user) -> "StageChangeQuerySet":
        return self.filter(owner_filter(user, "deal__owner"))


class StageChange(AppendOnly, models.Model):
    """One move of a deal between stages (or its loss); rows are only ever added."""

    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("deal")
    )
    from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("from")
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+", verbose_name=_("to"))
    status = models.CharField(_("status"), max_length=8, choices=Deal.Status.choices)
    changed_at = models.DateTimeField(_("when"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    probability = models.DecimalField(_("probability (%)"), max_digits=5, decimal_places=2)
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    # A database default too: rows written in bulk with a column list (the demo data) leave it out.
    note = models.CharField(_("note"), max_length=500, blank=True, default="", db_default="")
    # The time since the deal's previous change, on a change that ends a stay in a stage (kept by
    # ``sales.rollups.fill_stays``): what the time in stage adds up without reading the ledger twice.
    stay_micros = models.BigIntegerField(null=True, blank=True, editable=False)

    objects = StageChangeQuerySet.as_manager()

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [
            models.Index(fields=["deal", "changed_at"]),
            models.Index(fields=["to_stage", "changed_at"]),
        ]

    def __str__(self) -> str:
        # Lists and inlines fetch the deal and both stages with the rows (select_related).
        start = self.from_stage.display_name if self.from_stage_id else _("new deal")
        return f"{self.deal.title}: {start} → {self.to_stage.display_name} ({self.get_status_display()})"

    # The table is a ledger: funnels and time-in-stage depend on rows never being rewritten.
    refusal = DealError
    edit_refused = _("Stage changes cannot be edited.")
    delete_refused = _("Stage changes cannot be deleted.")

    def save(self, *args, **kwargs) -> None:
        # A new row ends the deal's last stay: its length is stored, and the rollups take it in.
        if not self._state.adding:
            raise self.refusal(self.edit_refused)
        with transaction.atomic(savepoint=False), rollups.bracket(rollups.Touch(ledgers={self.deal_id})):
            last = (
                StageChange.objects.filter(deal_id=self.deal_id)
                .order_by("-changed_at", "-pk")
                .values("changed_at", "status")
                .first()
            )
            latest = last is None or last["changed_at"] <= self.changed_at
            if latest:
                self.stay_micros = rollups.stay_after(last, self.from_stage_id, self.changed_at)
            super().save(*args, **kwargs)
            if not latest:  # a change from the past: the stays after it change too
                rollups.fill_stays([self.deal_id])

    @classmethod
    def for_deal(cls, deal: Deal, *, from_stage_id: int | None, by, at: datetime.datetime) -> "StageChange":
        """The (unsaved) ledger row of ``deal`` as it now stands, arriving from ``from_stage_id``
        (``None``: its entry into the pipeline). Ids rather than objects: an import builds 100k."""
        return cls(
            deal=deal,
            from_stage_id=from_stage_id,
            to_stage_id=deal.stage_id,
            status=deal.status,
            changed_at=at,
            changed_by_id=by.pk if by is not None else None,
            amount=deal.amount,
            probability=deal.probability,
            expected_close=deal.expected_close,
        )
