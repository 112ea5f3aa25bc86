import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from history.models import Tracked
from people.visibility import is_admin, visible_owners


class SalesPlanQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SalesPlanQuerySet":
        if not user.is_authenticated:
            return self.none()
        if is_admin(user):
            return self
        return self.filter(
            Q(scope=SalesPlan.Scope.COMPANY)
            | Q(team__manager=user)
            | Q(team__managers=user)
            | Q(team__members=user)
            | Q(rep__in=visible_owners(user))
        ).distinct()

    def covering(self, start: datetime.date, end: datetime.date) -> "SalesPlanQuerySet":
        return self.filter(period_start__lte=start, period_end__gte=end)


class SalesPlan(Tracked):
    """Targets for a period and a scope: the ratios M and P of the indicators, and quotas."""

    class Scope(models.TextChoices):
        COMPANY = "company", _("Company")
        TEAM = "team", _("Team")
        REP = "rep", _("Rep")

    name = models.CharField(_("name"), max_length=200)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.COMPANY)
    team = models.ForeignKey(
        "people.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plans",
        verbose_name=_("team"),
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sales_plans",
        verbose_name=_("rep"),
    )
    region = models.CharField(_("region"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=100, blank=True)
    product_category = models.CharField(_("product category"), max_length=100, blank=True)
    target_ratio = models.DecimalField(
        _("target ratio (M)"),
        max_digits=8,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Sales target T = average customer need R × M."),
    )
    activity_ratio = models.DecimalField(
        _("activity ratio (P)"),
        max_digits=8,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Activity plan A = sales target T × P."),
    )
    revenue_quota = models.DecimalField(
        _("revenue quota"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    activities_quota = models.PositiveIntegerField(_("activities quota"), null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SalesPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "name"]
        verbose_name = _("sales plan")
        verbose_name_plural = _("sales plans")
        indexes = [models.Index(fields=["period_start", "period_end"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="plan_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(scope="company", team__isnull=True, rep__isnull=True)
                | Q(scope="team", team__isnull=False, rep__isnull=True)
                | Q(scope="rep", rep__isnull=False, team__isnull=True),
                name="plan_scope_matches_target",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The period must end on or after its start.")
        if self.scope == self.Scope.TEAM and not self.team_id:
            errors["team"] = _("Choose the team this plan is for.")
        if self.scope == self.Scope.REP and not self.rep_id:
            errors["rep"] = _("Choose the rep this plan is for.")
        if self.scope != self.Scope.TEAM and self.team_id:
            errors["team"] = _("Only a team plan names a team.")
        if self.scope != self.Scope.REP and self.rep_id:
            errors["rep"] = _("Only a rep plan names a rep.")
        if errors:
            raise ValidationError(errors)
