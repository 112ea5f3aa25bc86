"""What a metric is computed over: a scope (period and filters) and the querysets a user may see.

The caller builds ``Sources`` from querysets it has already restricted with ``visible_to(user)``;
the functions here only narrow them further, so no metric can widen what a user sees.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.utils import timezone

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Scope:
    """A period (inclusive dates) and optional filters; empty strings and ``None`` mean "all".

    Region, channel and category match case-insensitively, as the deal, customer and sales-record
    lists do, so a number and the list it links to always agree.
    """

    start: datetime.date
    end: datetime.date
    team_id: int | None = None
    owner_id: int | None = None
    region: str = ""
    channel: str = ""
    category: str = ""
    product_id: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Sources:
    """The querysets the metrics read, each already limited to what the viewing user may see."""

    customers: QuerySet
    deals: QuerySet
    records: QuerySet
    activities: QuerySet
    stage_changes: QuerySet
    plans: QuerySet
    stages: QuerySet
    rollups: QuerySet
    lost_reasons: QuerySet


def visible_sources(user) -> Sources:
    """Every source through its model's ``visible_to``: the one place the dashboard gets data from."""
    from customers.models import Customer
    from sales.models import Activity, Deal, LostReason, Rollup, SalesPlan, SalesRecord, Stage, StageChange

    return Sources(
        customers=Customer.objects.visible_to(user),
        deals=Deal.objects.visible_to(user),
        records=SalesRecord.objects.visible_to(user),
        activities=Activity.objects.visible_to(user),
        stage_changes=StageChange.objects.visible_to(user),
        plans=SalesPlan.objects.visible_to(user),
        stages=Stage.objects.all(),
        rollups=Rollup.objects.visible_to(user),
        lost_reasons=LostReason.objects.visible_to(user),
    )


def team_owner_ids(team_id: int) -> QuerySet:
    """The team's members and its managers (primary and co-managers), as a subquery (IN keeps sums
    free of join duplicates)."""
    User = get_user_model()
    managers = Q(managed_teams=team_id) | Q(co_managed_teams=team_id)
    return User.objects.filter(Q(sales_teams=team_id) | managers).values("pk")


def owner_q(scope: Scope, path: str = "owner") -> Q:
    q = Q()
    if scope.owner_id:
        q &= Q(**{f"{path}_id": scope.owner_id})
    if scope.team_id:
        q &= Q(**{f"{path}__in": team_owner_ids(scope.team_id)})
    return q


def _scope_q(scope: Scope, owner: str, product: str | None = None, **texts: str) -> Q:
    """``owner_q``, the product at ``product`` if the scope names one, and for each of the scope's texts
    that is set, a case-insensitive match at its path."""
    q = owner_q(scope, owner)
    if product and scope.product_id:
        q &= Q(**{f"{product}_id": scope.product_id})
    for name, path in texts.items():
        if value := getattr(scope, name):
            q &= Q(**{f"{path}__iexact": value})
    return q


def customer_q(scope: Scope, prefix: str = "") -> Q:
    """Customers by owner, team, region and channel; never by period (a need is a standing estimate)."""
    return _scope_q(scope, f"{prefix}owner", region=f"{prefix}region", channel=f"{prefix}channel")


def deal_q(scope: Scope, prefix: str = "") -> Q:
    """Deals by owner, team, their customer's region, their own channel and their product's category."""
    return _scope_q(
        scope,
        f"{prefix}owner",
        product=f"{prefix}product",
        region=f"{prefix}customer__region",
        channel=f"{prefix}channel",
        category=f"{prefix}product__category",
    )


def record_q(scope: Scope) -> Q:
    """Sales records the way the sales-record list filters them: region and channel of the customer."""
    return _scope_q(
        scope,
        "owner",
        product="product",
        region="customer__region",
        channel="customer__channel",
        category="product__category",
    )


def activity_q(scope: Scope) -> Q:
    """Activities take region and channel from their deal when they have one, else their customer."""
    q = owner_q(scope)
    if scope.region:
        q &= Q(deal__customer__region__iexact=scope.region) | Q(
            deal__isnull=True, customer__region__iexact=scope.region
        )
    if scope.channel:
        q &= Q(deal__channel__iexact=scope.channel) | Q(
            deal__isnull=True, customer__channel__iexact=scope.channel
        )
    if scope.category:
        q &= Q(deal__product__category__iexact=scope.category)
    if scope.product_id:
        q &= Q(deal__product_id=scope.product_id)
    return q


def stale_q(today: datetime.date, days: int) -> Q:
    """Open deals older than ``days`` with no activity done on them in the last ``days`` days.

    The deal list's ``risk=stale`` filter should use this too, so the count and the list agree.
    The recent activities form one uncorrelated subquery, which the database hashes once instead of
    probing the activity table for every open deal.
    """
    from sales.models import Activity

    cutoff = today - datetime.timedelta(days=days)
    lo, _ = day_bounds(cutoff, cutoff)
    # NOT IN over a set holding NULL matches nothing, so activities without a deal stay out of it.
    recent = Activity.objects.filter(deal__isnull=False, done_at__gte=lo).values("deal_id")
    return Q(status="open", opened_on__lt=cutoff) & ~Q(pk__in=recent)


def stale_flag_q(today: datetime.date, days: int) -> Q:
    """``stale_q`` for a handful of rows: one indexed probe per deal instead of a scan."""
    from sales.models import Activity

    cutoff = today - datetime.timedelta(days=days)
    lo, _ = day_bounds(cutoff, cutoff)
    recent = Activity.objects.filter(deal=OuterRef("pk"), done_at__gte=lo)
    return Q(status="open", opened_on__lt=cutoff) & ~Exists(recent)


def overdue_q(today: datetime.date) -> Q:
    """Open deals whose expected close is already behind us."""
    return Q(status="open", expected_close__lt=today)


def slipped_q() -> Q:
    """Open deals whose expected close was pushed back after they were opened."""
    return Q(status="open", expected_close__gt=F("original_expected_close"))


def flag(condition: Q) -> ExpressionWrapper:
    """``condition`` as a true/false column, to say why a listed deal is at risk."""
    return ExpressionWrapper(condition, output_field=BooleanField())


def day_bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Aware datetimes [start 00:00, day after end 00:00) in the current time zone."""
    tz = timezone.get_current_timezone()
    lo = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    hi = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return lo, hi


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """First days of every month from ``start``'s to ``end``'s, inclusive."""
    months = []
    current = month_start(start)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def to_month(value) -> datetime.date:
    """``TruncMonth`` gives a date or a datetime depending on the backend; both become a date."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.replace(day=1)


def cents(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(numerator, denominator, places: str = "0.0001") -> Decimal | None:
    """``numerator / denominator`` as a Decimal; ``None`` when the denominator is zero or missing."""
    if numerator is None or not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places), rounding=ROUND_HALF_UP)
