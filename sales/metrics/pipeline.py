"""Deal metrics: won and lost, win rate, cycle, pipeline, forecast, trend, attainment, funnel, stages.

Each function runs one grouped query with conditional aggregates; numpy works on what comes back.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Window,
)
from django.db.models.functions import Lag, TruncMonth

from people.names import name_from_parts
from sales.metrics.probabilities import weighted_with
from sales.metrics.scope import (
    Scope,
    Sources,
    add_months,
    cents,
    deal_q,
    month_start,
    months_between,
    overdue_q,
    ratio,
    slipped_q,
    stale_q,
    to_month,
)


def weighted(weights: dict[int, Decimal] | None = None) -> ExpressionWrapper:
    """amount × probability %, the weighted value of a deal; ``weights`` (stage id -> learned
    probability) replace the stage defaults, never a probability set by hand."""
    return weighted_with(weights)


ZERO = Decimal("0.00")


@dataclass(frozen=True)
class DealSummary:
    """Won and lost in the period; the open pipeline as it stands (open deals have no period)."""

    won_revenue: Decimal
    deals_won: int
    deals_lost: int
    win_rate: Decimal | None  # won / (won + lost), a fraction in [0, 1]
    average_won: Decimal | None
    open_deals: int
    open_amount: Decimal
    weighted_amount: Decimal


@dataclass(frozen=True)
class OwnerDeals:
    """One rep's deals in scope: closed in the period, open today, and the open ones at risk."""

    owner_id: int
    name: str
    won_n: int
    won_sum: Decimal
    lost_n: int
    open_n: int
    open_sum: Decimal
    weighted: Decimal
    stale: int
    overdue: int
    slipped: int
    at_risk: int


OWNER_NAMES = ("owner__first_name", "owner__last_name", "owner__username")


def owner_name(row: dict) -> str:
    """The owner's display name from a row read with ``values(*OWNER_NAMES)``."""
    return name_from_parts(*(row[n] for n in OWNER_NAMES))


def deals_by_owner(
    sources: Sources,
    scope: Scope,
    *,
    today: datetime.date | None = None,
    stale_days: int | None = None,
    weights: dict[int, Decimal] | None = None,
    closed: bool = True,
) -> tuple[OwnerDeals, ...]:
    """One grouped query feeding the summary cards, the leaderboard and the risk counts.

    Risk is counted only when ``today`` is given (it is about now, not about the period).
    ``closed=False`` reads the open deals alone (the rollups give the period's won and lost).
    """
    closed_in = Q(closed_on__gte=scope.start, closed_on__lte=scope.end)
    won, lost, is_open = Q(status="won") & closed_in, Q(status="lost") & closed_in, Q(status="open")
    aggregates = {
        "won_n": Count("pk", filter=won),
        "won_sum": Sum("amount", filter=won),
        "lost_n": Count("pk", filter=lost),
        "open_n": Count("pk", filter=is_open),
        "open_sum": Sum("amount", filter=is_open),
        "weighted": Sum(weighted(weights), filter=is_open),
    }
    if today is not None:
        stale, overdue, slipped = stale_q(today, stale_days or 0), overdue_q(today), slipped_q()
        aggregates |= {
            "stale": Count("pk", filter=stale),
            "overdue": Count("pk", filter=overdue),
            "slipped": Count("pk", filter=slipped),
            "at_risk": Count("pk", filter=stale | overdue | slipped),
        }
    if not closed:
        for name in ("won_n", "won_sum", "lost_n"):
            aggregates.pop(name)
    rows = (
        sources.deals.filter(deal_q(scope))
        .filter(is_open | closed_in if closed else is_open)
        .values("owner", *OWNER_NAMES)
        .annotate(**aggregates)
        .order_by()
    )
    return tuple(
        OwnerDeals(
            owner_id=r["owner"],
            name=owner_name(r),
            won_n=r.get("won_n", 0),
            won_sum=cents(r.get("won_sum") or 0),
            lost_n=r.get("lost_n", 0),
            open_n=r["open_n"],
            open_sum=cents(r["open_sum"] or 0),
            weighted=cents(r["weighted"] or 0),
            stale=r.get("stale", 0),
            overdue=r.get("overdue", 0),
            slipped=r.get("slipped", 0),
            at_risk=r.get("at_risk", 0),
        )
        for r in rows
    )


def summarize_deals(rows: tuple[OwnerDeals, ...]) -> DealSummary:
    """The scope's totals are the sums of the per-rep rows, so the two can never disagree."""
    won_n = sum(r.won_n for r in rows)
    lost_n = sum(r.lost_n for r in rows)
    won_revenue = sum((r.won_sum for r in rows), ZERO)
    return DealSummary(
        won_revenue=won_revenue,
        deals_won=won_n,
        deals_lost=lost_n,
        win_rate=ratio(won_n, won_n + lost_n),
        average_won=cents(won_revenue / won_n) if won_n else None,
        open_deals=sum(r.open_n for r in rows),
        open_amount=sum((r.open_sum for r in rows), ZERO),
        weighted_amount=sum((r.weighted for r in rows), ZERO),
    )


def deal_summary(sources: Sources, scope: Scope) -> DealSummary:
    return summarize_deals(deals_by_owner(sources, scope))


@dataclass(frozen=True)
class LostReasonRow:
    """The deals in scope lost in the period for one reason (``reason_id`` None: none recorded)."""

    reason_id: int | None
    name: str
    local_name: str
    deals: int
    amount: Decimal


def lost_by_reason(sources: Sources, scope: Scope) -> tuple[LostReasonRow, ...]:
    """Deals lost (closed on) in the period, per lost reason, most deals first: one grouped query."""
    rows = (
        sources.deals.filter(deal_q(scope))
        .lost()
        .filter(closed_on__gte=scope.start, closed_on__lte=scope.end)
        .values("lost_reason", "lost_reason__name", "lost_reason__local_name", "lost_reason__order")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    )
    result = [
        LostReasonRow(
            reason_id=r["lost_reason"],
            name=r["lost_reason__name"] or "",
            local_name=r["lost_reason__local_name"] or "",
            deals=r["n"],
            amount=cents(r["total"] or 0),
        )
        for r in rows
    ]
    order = {r["lost_reason"]: r["lost_reason__order"] or 0 for r in rows}
    result.sort(key=lambda r: (-r.deals, -r.amount, order[r.reason_id], r.name))
    return tuple(result)


@dataclass(frozen=True)
class SalesCycle:
    """Days from opened on to closed on, over the deals won in the period."""

    deals: int
    mean_days: Decimal | None
    median_days: Decimal | None


def sales_cycle(sources: Sources, scope: Scope) -> SalesCycle:
    # The database returns a histogram (days -> deals); numpy takes the mean and median from it.
    rows = (
        sources.deals.filter(deal_q(scope))
        .won()
        .filter(closed_on__gte=scope.start, closed_on__lte=scope.end)
        .annotate(cycle=ExpressionWrapper(F("closed_on") - F("opened_on"), output_field=DurationField()))
        .values("cycle")
        .annotate(n=Count("pk"))
        .order_by("cycle")
    )
    return cycle_from_histogram([(row["cycle"].days, row["n"]) for row in rows])


def cycle_from_histogram(pairs: list[tuple[int, int]]) -> SalesCycle:
    """Mean and median days from (days, deals) pairs in ascending order of days."""
    if not pairs:
        return SalesCycle(deals=0, mean_days=None, median_days=None)
    days = np.array([d for d, _ in pairs], dtype=np.int64)
    counts = np.array([n for _, n in pairs], dtype=np.int64)
    total = int(counts.sum())
    upper = np.cumsum(counts)
    # The k-th smallest value (0-based) is the first bucket whose running count exceeds k.
    lo = int(days[np.searchsorted(upper, (total - 1) // 2, side="right")])
    hi = int(days[np.searchsorted(upper, total // 2, side="right")])
    return SalesCycle(
        deals=total,
        mean_days=ratio(int((days * counts).sum()), total, "0.1"),
        median_days=(Decimal(lo + hi) / 2).quantize(Decimal("0.1")),
    )


@dataclass(frozen=True)
class ForecastMonth:
    month: datetime.date
    deals: int
    amount: Decimal
    weighted: Decimal
    target: Decimal | None  # the month's share of the plan's revenue quota


@dataclass(frozen=True)
class Forecast:
    months: tuple[ForecastMonth, ...]
    amount: Decimal
    weighted: Decimal
    deals: int


def _monthly_targets(months: list[datetime.date], plan) -> list[Decimal | None]:
    """Spread the plan's quota over its period by days, and give each month its share."""
    if plan is None or plan.revenue_quota is None:
        return [None] * len(months)
    plan_days = (plan.period_end - plan.period_start).days + 1
    shares = []
    for month in months:
        lo = max(month, plan.period_start)
        hi = min(add_months(month, 1) - datetime.timedelta(days=1), plan.period_end)
        shares.append(max((hi - lo).days + 1, 0))
    quota = Decimal(plan.revenue_quota)
    return [cents(quota * share / plan_days) for share in shares]


def forecast(sources: Sources, scope: Scope, plan, weights: dict[int, Decimal] | None = None) -> Forecast:
    """Open deals by expected-close month within the period, unweighted and weighted."""
    rows = (
        sources.deals.filter(deal_q(scope))
        .open()
        .filter(expected_close__gte=scope.start, expected_close__lte=scope.end)
        .annotate(month=TruncMonth("expected_close"))
        .values("month")
        .annotate(n=Count("pk"), total=Sum("amount"), weighted_total=Sum(weighted(weights)))
        .order_by("month")
    )
    by_month = {to_month(r["month"]): r for r in rows}
    months = months_between(scope.start, scope.end)
    targets = _monthly_targets(months, plan)
    entries = tuple(
        ForecastMonth(
            month=m,
            deals=by_month[m]["n"] if m in by_month else 0,
            amount=cents(by_month[m]["total"]) if m in by_month else ZERO,
            weighted=cents(by_month[m]["weighted_total"]) if m in by_month else ZERO,
            target=t,
        )
        for m, t in zip(months, targets, strict=True)
    )
    return Forecast(
        months=entries,
        amount=sum((e.amount for e in entries), ZERO),
        weighted=sum((e.weighted for e in entries), ZERO),
        deals=sum(e.deals for e in entries),
    )


@dataclass(frozen=True)
class MonthlySeries:
    months: tuple[datetime.date, ...]
    values: tuple[Decimal, ...]
    deals: tuple[int, ...]


def won_trend(sources: Sources, scope: Scope, months: int = 12) -> MonthlySeries:
    """Won revenue per month for the ``months`` months ending with the period's last month."""
    first = add_months(month_start(scope.end), -(months - 1))
    rows = (
        sources.deals.filter(deal_q(scope))
        .won()
        .filter(closed_on__gte=first, closed_on__lte=scope.end)
        .annotate(month=TruncMonth("closed_on"))
        .values("month")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by("month")
    )
    by_month = {to_month(r["month"]): r for r in rows}
    keys = months_between(first, scope.end)
    return MonthlySeries(
        months=tuple(keys),
        values=tuple(cents(by_month[m]["total"]) if m in by_month else ZERO for m in keys),
        deals=tuple(by_month[m]["n"] if m in by_month else 0 for m in keys),
    )


@dataclass(frozen=True)
class Attainment:
    """Realised sales in the period (sales records) against the revenue quota the plans add up to."""

    actual: Decimal
    quota: Decimal | None
    attainment: Decimal | None  # a fraction; 1 means the quota is met
    elapsed: Decimal  # share of the period already gone, in [0, 1]
    pace: Decimal | None  # attainment / elapsed: 1 means on track to meet the quota


def elapsed_share(scope: Scope, today: datetime.date) -> Decimal:
    gone = min(max((today - scope.start).days + 1, 0), scope.days)
    return ratio(gone, scope.days)


def attainment(actual: Decimal, quota: Decimal | None, scope: Scope, today: datetime.date) -> Attainment:
    """No query: the actual and the quota come from ``sales_actuals`` and the plans' roll-up."""
    value = ratio(actual, quota)
    elapsed = elapsed_share(scope, today)
    pace = ratio(value, elapsed) if value is not None else None
    return Attainment(actual=actual, quota=quota, attainment=value, elapsed=elapsed, pace=pace)


@dataclass(frozen=True)
class FunnelStep:
    stage_id: int
    key: str
    name: str
    reached: int
    conversion: Decimal | None  # reached / reached at the previous step


@dataclass(frozen=True)
class StageTime:
    stage_id: int
    key: str
    name: str
    stays: int  # ended stays in the stage, deals opened in the period
    mean_days: Decimal | None


def funnel_stages(stages) -> list:
    """The stages of the sales process proper: open ones and the won stage, in order."""
    return [s for s in stages if s.kind != "after_sale"]


def stage_flow(
    sources: Sources, scope: Scope, stages: list
) -> tuple[tuple[FunnelStep, ...], tuple[StageTime, ...]]:
    """The funnel and the time in each stage, over the deals opened in the period, in one query.

    Reached: deals with a ledger row into the stage. A stay starts with a row of the deal's ledger
    and ends with the next one (a move, or the loss); stays not ended yet are left out, and so is the
    time a lost deal spent lost before it was reopened. A window function pairs each row with the one
    before it; conditional aggregates read the pairs per stage.
    """
    order = [F("changed_at").asc(), F("pk").asc()]
    entered = Window(Lag("changed_at"), partition_by=[F("deal_id")], order_by=order)
    before = Window(Lag("status"), partition_by=[F("deal_id")], order_by=order)
    stay = ExpressionWrapper(F("changed_at") - F("entered"), output_field=DurationField())
    aggregates = {}
    for stage in stages:
        ended = Q(from_stage=stage.pk) & ~Q(before="lost")
        aggregates[f"reached{stage.pk}"] = Count("deal", distinct=True, filter=Q(to_stage=stage.pk))
        aggregates[f"stays{stage.pk}"] = Count("entered", filter=ended)
        aggregates[f"mean{stage.pk}"] = Avg(stay, filter=ended)
    row = (
        sources.stage_changes.filter(deal_q(scope, "deal__"))
        .filter(deal__opened_on__gte=scope.start, deal__opened_on__lte=scope.end)
        .annotate(entered=entered, before=before)
        .aggregate(**aggregates)
        if stages
        else {}
    )
    steps, previous = [], None
    for stage in funnel_stages(stages):
        n = row[f"reached{stage.pk}"]
        steps.append(
            FunnelStep(
                stage_id=stage.pk,
                key=stage.key,
                name=stage.display_name,
                reached=n,
                conversion=ratio(n, previous) if previous is not None else None,
            )
        )
        previous = n
    day = datetime.timedelta(days=1).total_seconds()
    times = []
    for stage in stages:
        mean = row[f"mean{stage.pk}"]
        times.append(
            StageTime(
                stage_id=stage.pk,
                key=stage.key,
                name=stage.display_name,
                stays=row[f"stays{stage.pk}"],
                mean_days=ratio(mean.total_seconds(), day, "0.1") if mean is not None else None,
            )
        )
    return tuple(steps), tuple(times)


def funnel(sources: Sources, scope: Scope, stages: list) -> tuple[FunnelStep, ...]:
    """Deals opened in the period that reached each stage, from the stage-change ledger."""
    return stage_flow(sources, scope, stages)[0]


def time_in_stage(sources: Sources, scope: Scope, stages: list) -> tuple[StageTime, ...]:
    """Mean days between entering a stage and leaving it, over the deals opened in the period."""
    return stage_flow(sources, scope, stages)[1]
