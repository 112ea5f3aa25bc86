"""Metrics about the work: activities done against plan, deals at risk, and the per-rep leaderboard."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Sum

from sales.metrics.scope import Scope, Sources, activity_q, cents, day_bounds, deal_q, ratio


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


def activity_summary(sources: Sources, scope: Scope, plan) -> ActivitySummary:
    lo, hi = day_bounds(scope.start, scope.end)
    due = Q(due_at__gte=lo, due_at__lt=hi)
    done = Q(done_at__gte=lo, done_at__lt=hi)
    rows = (
        sources.activities.filter(activity_q(scope))
        .filter(due | done)
        .values("kind")
        .annotate(planned=Count("pk", filter=due), done=Count("pk", filter=done))
        .order_by()
    )
    found = {r["kind"]: r for r in rows}
    kinds = sources.activities.model.Kind
    entries = tuple(
        ActivityKindRow(
            kind=kind.value,
            label=str(kind.label),
            planned=found[kind.value]["planned"] if kind.value in found else 0,
            done=found[kind.value]["done"] if kind.value in found else 0,
        )
        for kind in kinds
    )
    quota = plan.activities_quota if plan is not None else None
    total_done = sum(e.done for e in entries)
    return ActivitySummary(
        rows=entries,
        planned=sum(e.planned for e in entries),
        done=total_done,
        quota=quota,
        attainment=ratio(total_done, quota),
    )


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


def overdue_q(today: datetime.date) -> Q:
    """Open deals whose expected close is already behind us."""
    return Q(status="open", expected_close__lt=today)


def slipped_q() -> Q:
    """Open deals whose expected close was pushed back after they were opened."""
    return Q(status="open", expected_close__gt=F("original_expected_close"))


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


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
    """Open deals in scope (any period: risk is about now) with their three risk flags annotated."""
    stale, overdue, slipped = stale_q(today, stale_days), overdue_q(today), slipped_q()
    return (
        sources.deals.filter(deal_q(scope))
        .open()
        .annotate(is_stale=_flag(stale), is_overdue=_flag(overdue), is_slipped=_flag(slipped))
        .filter(stale | overdue | slipped)
    )


def risk_counts(sources: Sources, scope: Scope, *, today: datetime.date, stale_days: int) -> RiskCounts:
    stale, overdue, slipped = stale_q(today, stale_days), overdue_q(today), slipped_q()
    row = (
        sources.deals.filter(deal_q(scope))
        .open()
        .aggregate(
            stale=Count("pk", filter=stale),
            overdue=Count("pk", filter=overdue),
            slipped=Count("pk", filter=slipped),
            at_risk=Count("pk", filter=stale | overdue | slipped),
        )
    )
    return RiskCounts(**row)


def risk_list(
    sources: Sources, scope: Scope, *, today: datetime.date, stale_days: int, limit: int = 10
) -> tuple[RiskRow, ...]:
    """The largest deals at risk, biggest first, with what puts each at risk."""
    deals = (
        risky_deals(sources, scope, today=today, stale_days=stale_days)
        .select_related("customer", "owner", "stage")
        .order_by("-amount", "expected_close", "pk")[:limit]
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
    attainment: Decimal | None


def _display_name(first: str, last: str, username: str) -> str:
    full = f"{first} {last}".strip()
    return full or username


def leaderboard(sources: Sources, scope: Scope, rep_plans: dict) -> tuple[LeaderRow, ...]:
    """Per rep with closed deals or done activities in the period: two grouped queries."""
    closed_in = Q(closed_on__gte=scope.start, closed_on__lte=scope.end)
    names = ("owner__first_name", "owner__last_name", "owner__username")
    deal_rows = (
        sources.deals.filter(deal_q(scope))
        .filter(closed_in)
        .values("owner", *names)
        .annotate(
            won_n=Count("pk", filter=Q(status="won")),
            won_sum=Sum("amount", filter=Q(status="won")),
            lost_n=Count("pk", filter=Q(status="lost")),
        )
        .order_by()
    )
    lo, hi = day_bounds(scope.start, scope.end)
    activity_rows = (
        sources.activities.filter(activity_q(scope))
        .filter(done_at__gte=lo, done_at__lt=hi)
        .values("owner", *names)
        .annotate(n=Count("pk"))
        .order_by()
    )
    people: dict[int, dict] = {}
    for row in deal_rows:
        people[row["owner"]] = {**row, "activities": 0}
    for row in activity_rows:
        entry = people.setdefault(row["owner"], {**row, "won_n": 0, "won_sum": None, "lost_n": 0})
        entry["activities"] = row["n"]
    result = []
    for owner_id, p in people.items():
        won = cents(p["won_sum"] or 0)
        plan = rep_plans.get(owner_id)
        quota = plan.revenue_quota if plan is not None else None
        result.append(
            LeaderRow(
                owner_id=owner_id,
                name=_display_name(*(p[n] for n in names)),
                won_revenue=won,
                deals_won=p["won_n"],
                deals_lost=p["lost_n"],
                win_rate=ratio(p["won_n"], p["won_n"] + p["lost_n"]),
                activities_done=p["activities"],
                quota=quota,
                attainment=ratio(won, quota),
            )
        )
    result.sort(key=lambda r: (-r.won_revenue, -r.deals_won, r.name))
    return tuple(result)
