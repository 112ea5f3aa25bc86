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


class SalesRecordQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SalesRecordQuerySet":
        return self.filter(owner_filter(user))

    def sold_between(self, start: datetime.date, end: datetime.date) -> "SalesRecordQuerySet":
        return self.filter(sold_on__gte=start, sold_on__lte=end)


class SalesRecord(Tracked):
    """A realised sale: the result of sales execution."""

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
    deal = models.OneToOneField(
        "sales.Deal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sales_record",
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

    def __str__(self) -> str:
        return f"{self.customer} {self.amount} ({self.sold_on})"


class ActivityQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ActivityQuerySet":
        return self.filter(owner_filter(user))

    def done(self) -> "ActivityQuerySet":
        return self.filter(done_at__isnull=False)

    def pending(self) -> "ActivityQuerySet":
        return self.filter(done_at__isnull=True)

    def overdue(self, now: datetime.datetime) -> "ActivityQuerySet":
        return self.pending().filter(due_at__lt=now)

    def due_between(self, start: datetime.datetime, end: datetime.datetime) -> "ActivityQuerySet":
        return self.pending().filter(due_at__gte=start, due_at__lt=end)


class Activity(Versioned, Tracked):
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

    def complete(self, *, outcome: str = "", at: datetime.datetime | None = None) -> None:
        self.done_at = at or timezone.now()
        self.outcome = outcome or self.outcome
        self.save(update_fields=["done_at", "outcome"])
