"""Metrics about the work: activities done against plan, deals at risk, and the per-rep leaderboard."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from sales.metrics.actuals import sales_actuals
from sales.metrics.pipeline import OWNER_NAMES, ZERO, OwnerDeals, deals_by_owner, owner_name
from sales.metrics.scope import (
    Scope,
    Sources,
    activity_q,
    day_bounds,
    deal_q,
    flag,
    overdue_q,
    ratio,
    slipped_q,
    stale_flag_q,
    stale_q,
)


@dataclass(frozen=True)
class ActivityKindRow:
    kind: str
    label: str
    planned: int  # due in the period
    done: int  # done in the period, whenever they were due


@dataclass(frozen=True)
class ActivitySummary:
    rows: tuple[ActivityKindRow, ...]
    planned: int
    done: int
    quota: int | None  # the plan's activities quota
    attainment: Decimal | None  # done / quota


@dataclass(frozen=True)
class OwnerActivities:
    owner_id: int
    name: str
    kind: str
    planned: int
    done: int


def activities_by_owner(sources: Sources, scope: Scope) -> tuple[OwnerActivities, ...]:
    """One grouped query (rep × type) feeding both the activities card and the leaderboard."""
    lo, hi = day_bounds(scope.start, scope.end)
    due = Q(due_at__gte=lo, due_at__lt=hi)
    done = Q(done_at__gte=lo, done_at__lt=hi)
    rows = (
        sources.activities.filter(activity_q(scope))
        .filter(due | done)
        .values("owner", "kind", *OWNER_NAMES)
        .annotate(planned=Count("pk", filter=due), done=Count("pk", filter=done))
        .order_by()
    )
    return tuple(
        OwnerActivities(
            owner_id=r["owner"],
            name=owner_name(r),
            kind=r["kind"],
            planned=r["planned"],
            done=r["done"],
        )
        for r in rows
    )


def summarize_activities(rows: tuple[OwnerActivities, ...], quota: int | None, kinds) -> ActivitySummary:
    """Done and planned by type, against the activities quota the plans add up to."""
    planned: dict[str, int] = {}
    done: dict[str, int] = {}
    for row in rows:
        planned[row.kind] = planned.get(row.kind, 0) + row.planned
        done[row.kind] = done.get(row.kind, 0) + row.done
    entries = tuple(
        ActivityKindRow(
            kind=kind.value,
            label=str(kind.label),
            planned=planned.get(kind.value, 0),
            done=done.get(kind.value, 0),
        )
        for kind in kinds
    )
    total_done = sum(e.done for e in entries)
    return ActivitySummary(
        rows=entries,
        planned=sum(e.planned for e in entries),
        done=total_done,
        quota=quota,
        attainment=ratio(total_done, quota),
    )


def activity_summary(sources: Sources, scope: Scope, plan) -> ActivitySummary:
    quota = plan.activities_quota if plan is not None else None
    return summarize_activities(activities_by_owner(sources, scope), quota, sources.activities.model.Kind)


@dataclass(frozen=True)
class RiskCounts:
    stale: int
    overdue: int
    slipped: int
    at_risk: int  # deals with at least one of the three


@dataclass(frozen=True)
class RiskRow:
    deal: object
    stale: bool
    overdue: bool
    slipped: bool


def risky_deals(sources: Sources, scope: Scope, *, today: datetime.date, stale_days: int) -> QuerySet:
    """Open deals in scope (any period: risk is about now) that are stale, overdue or slipped."""
    return (
        sources.deals.filter(deal_q(scope))
        .open()
        .filter(stale_q(today, stale_days) | overdue_q(today) | slipped_q())
    )


def count_risks(rows: tuple[OwnerDeals, ...]) -> RiskCounts:
    return RiskCounts(
        stale=sum(r.stale for r in rows),
        overdue=sum(r.overdue for r in rows),
        slipped=sum(r.slipped for r in rows),
        at_risk=sum(r.at_risk for r in rows),
    )


def risk_counts(sources: Sources, scope: Scope, *, today: datetime.date, stale_days: int) -> RiskCounts:
    return count_risks(deals_by_owner(sources, scope, today=today, stale_days=stale_days))


def risk_list(
    sources: Sources, scope: Scope, *, today: datetime.date, stale_days: int, limit: int = 10
) -> tuple[RiskRow, ...]:
    """The largest deals at risk, biggest first, with what puts each at risk.

    The top ``limit`` ids are picked in a subquery without joins; only those rows are joined to
    their customer, owner and stage and get their flags.
    """
    top = (
        risky_deals(sources, scope, today=today, stale_days=stale_days)
        .order_by("-amount", "expected_close", "pk")
        .values("pk")[:limit]
    )
    deals = (
        sources.deals.model.objects.filter(pk__in=top)
        .annotate(
            is_stale=flag(stale_flag_q(today, stale_days)),
            is_overdue=flag(overdue_q(today)),
            is_slipped=flag(slipped_q()),
        )
        .select_related("customer", "owner", "stage")
        .order_by("-amount", "expected_close", "pk")
    )
    return tuple(
        RiskRow(deal=d, stale=bool(d.is_stale), overdue=bool(d.is_overdue), slipped=bool(d.is_slipped))
        for d in deals
    )


@dataclass(frozen=True)
class LeaderRow:
    owner_id: int
    name: str
    won_revenue: Decimal
    deals_won: int
    deals_lost: int
    win_rate: Decimal | None
    activities_done: int
    quota: Decimal | None
    attainment: Decimal | None  # sales / quota
    sales: Decimal = ZERO  # realised sales: the sum of the rep's sales records in the period


def rank_reps(
    deal_rows: tuple[OwnerDeals, ...],
    activity_rows: tuple[OwnerActivities, ...],
    quotas: dict,
    sales: dict[int, Decimal] | None = None,
    sales_names: dict[int, str] | None = None,
) -> tuple[LeaderRow, ...]:
    """Reps with deals closed, activities done or sales made in the period, by won revenue.

    ``quotas`` maps a rep to their revenue quota (or to a plan, whose quota is read); attainment is
    the rep's realised sales against it.
    """
    sales = sales or {}
    names: dict[int, str] = dict(sales_names or {})
    done: dict[int, int] = {}
    for row in activity_rows:
        names[row.owner_id] = row.name
        done[row.owner_id] = done.get(row.owner_id, 0) + row.done
    deals = {r.owner_id: r for r in deal_rows if r.won_n or r.lost_n}
    names |= {r.owner_id: r.name for r in deals.values()}
    result = []
    for owner_id, name in names.items():
        if owner_id not in deals and not done.get(owner_id) and not sales.get(owner_id):
            continue
        d = deals.get(owner_id)
        won_n, lost_n = (d.won_n, d.lost_n) if d else (0, 0)
        won = d.won_sum if d else ZERO
        quota = quotas.get(owner_id)
        if quota is not None and not isinstance(quota, Decimal):
            quota = quota.revenue_quota
        sold = sales.get(owner_id, ZERO)
        result.append(
            LeaderRow(
                owner_id=owner_id,
                name=name,
                won_revenue=won,
                deals_won=won_n,
                deals_lost=lost_n,
                win_rate=ratio(won_n, won_n + lost_n),
                activities_done=done.get(owner_id, 0),
                quota=quota,
                attainment=ratio(sold, quota),
                sales=sold,
            )
        )
    result.sort(key=lambda r: (-r.won_revenue, -r.sales, -r.deals_won, r.name))
    return tuple(result)


def leaderboard(
    sources: Sources, scope: Scope, quotas: dict, sales: dict[int, Decimal] | None = None
) -> tuple[LeaderRow, ...]:
    """Per rep with closed deals, done activities or sales in the period: three grouped queries."""
    actuals = sales_actuals(sources, scope)
    return rank_reps(
        deals_by_owner(sources, scope),
        activities_by_owner(sources, scope),
        quotas,
        actuals.by_owner if sales is None else sales,
        actuals.names,
    )
