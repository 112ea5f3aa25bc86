import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from history.models import Tracked
from history.versions import Versioned
from people.visibility import owner_filter


def deal_customer_error(deal, customer) -> str | None:
    """Why a record cannot name both ``deal`` and ``customer`` (another customer's deal), or None."""
    if deal is not None and customer is not None and deal.customer_id != customer.pk:
        return _("The deal belongs to another customer.")
    return None


def contact_customer_error(contact, customer) -> str | None:
    """Why a deal cannot name both ``contact`` and ``customer`` (another customer's contact), or None."""
    if contact is not None and customer is not None and contact.customer_id != customer.pk:
        return _("The contact works at another customer.")
    return None


class SalesRecordQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SalesRecordQuerySet":
        return self.filter(owner_filter(user))

    def sold_between(self, start: datetime.date, end: datetime.date) -> "SalesRecordQuerySet":
        return self.filter(sold_on__gte=start, sold_on__lte=end)

    def in_force(self) -> "SalesRecordQuerySet":
        """Sales that stand: neither reversed nor a reversing entry themselves."""
        return self.filter(reverses__isnull=True, reversed_on__isnull=True)

    def reversals(self) -> "SalesRecordQuerySet":
        return self.filter(reverses__isnull=False)


class SalesRecord(Tracked):
    """A realised sale: the result of sales execution.

    Records are never taken back by deleting them. Reopening a won deal adds a reversing entry
    (``reverses`` names the sale, the amount is the sale's negated, dated the day of the reopening)
    and dates the sale ``reversed_on``: the period the sale was booked in keeps it, the period of the
    reopening shows the reversal, and sums over any period add up. A deal has at most one sale in
    force; won again, it gets a new one.
    """

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="sales_records",
        verbose_name=_("customer"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sales_records",
        verbose_name=_("owner"),
    )
    deal = models.ForeignKey(
        "sales.Deal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sales_records",
        verbose_name=_("deal"),
    )
    product = models.ForeignKey(
        "sales.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sales_records",
        verbose_name=_("product"),
    )
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    sold_on = models.DateField(_("sold on"), default=timezone.localdate)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
        verbose_name=_("reverses"),
    )
    reversed_on = models.DateField(_("reversed on"), null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SalesRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-sold_on", "-pk"]
        verbose_name = _("sales record")
        verbose_name_plural = _("sales records")
        indexes = [
            models.Index(fields=["sold_on"]),
            models.Index(fields=["owner", "sold_on"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["deal"],
                condition=models.Q(reverses__isnull=True, reversed_on__isnull=True),
                name="one_sale_in_force_per_deal",
            ),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True) | models.Q(amount__lte=0),
                name="reversal_takes_back_the_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.amount} ({self.sold_on})"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    @property
    def in_force(self) -> bool:
        return self.reverses_id is None and self.reversed_on is None

    def reverse(self, *, on: datetime.date, note: str = "") -> "SalesRecord":
        """Take the sale back with a reversing entry dated ``on``; the sale itself stays as booked."""
        reversal = SalesRecord(
            customer_id=self.customer_id,
            owner_id=self.owner_id,
            deal_id=self.deal_id,
            product_id=self.product_id,
            amount=-self.amount,
            sold_on=on,
            note=note[:300],
            reverses=self,
        )
        reversal.save()
        self.reversed_on = on
        self.save(update_fields=["reversed_on"])
        return reversal


class ActivityQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ActivityQuerySet":
        return self.filter(owner_filter(user))

    def done(self) -> "ActivityQuerySet":
        return self.filter(done_at__isnull=False)

    def pending(self) -> "ActivityQuerySet":
        """Still to do: not done, and not cancelled with a lost deal."""
        return self.filter(done_at__isnull=True, cancelled_at__isnull=True)

    def overdue(self, now: datetime.datetime) -> "ActivityQuerySet":
        return self.pending().filter(due_at__lt=now)

    def due_between(self, start: datetime.datetime, end: datetime.datetime) -> "ActivityQuerySet":
        return self.pending().filter(due_at__gte=start, due_at__lt=end)


class Activity(Versioned, Tracked):
    # How long before the due time the owner is reminded (None: no reminder).
    REMIND_CHOICES = [
        (0, _("At the due time")),
        (15, _("15 minutes before")),
        (60, _("1 hour before")),
        (1440, _("1 day before")),
    ]

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("Email")
        TASK = "task", _("Task")
        NOTE = "note", _("Note")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.CALL)
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    deal = models.ForeignKey(
        "sales.Deal",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("deal"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("customer"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="activities",
        verbose_name=_("owner"),
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    cancelled_at = models.DateTimeField(
        _("cancelled"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when its deal was lost before it was done; reopening the deal brings it back."),
    )
    remind_before = models.PositiveIntegerField(
        _("reminder"),
        choices=REMIND_CHOICES,
        null=True,
        blank=True,
        help_text=_("Minutes before the due time."),
    )
    # When the reminder is due: the due time less ``remind_before``, kept in step by ``save()``.
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True, editable=False, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["owner", "due_at"]),
            models.Index(fields=["owner", "done_at"]),
            models.Index(fields=["deal", "done_at"]),
            # The deals touched since a day (the stale test): an index-only range scan.
            models.Index(fields=["done_at", "deal"], name="activity_done_deal"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deal__isnull=False) | models.Q(customer__isnull=False),
                name="activity_has_deal_or_customer",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def clean(self) -> None:
        if not self.deal_id and not self.customer_id:
            raise ValidationError(_("Link the activity to a deal or a customer."))

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def reminder_time(self) -> datetime.datetime | None:
        if self.due_at is None or self.remind_before is None:
            return None
        return self.due_at - datetime.timedelta(minutes=self.remind_before)

    def save(self, *args, **kwargs) -> None:
        self.remind_at = self.reminder_time()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"due_at", "remind_before"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "remind_at"}
        super().save(*args, **kwargs)

    def complete(self, *, outcome: str = "", at: datetime.datetime | None = None) -> None:
        self.done_at = at or timezone.now()
        self.outcome = outcome or self.outcome
        self.save(update_fields=["done_at", "outcome"])
