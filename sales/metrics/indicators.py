"""The five indicators of the source document: R, T, A, E and F.

R = mean customer need, T = R × M, A = T × P, E = mean sales-record amount, F = E / T × 100 %.
E is net of reversals: a reversing entry takes its sale's amount and the sale itself out of the mean.
Each is ``None`` when it is not available (no customers with a need, no plan, no records, T = 0).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum

from sales.metrics.scope import Scope, Sources, cents, customer_q, record_q

PERCENT = Decimal("0.01")


@dataclass(frozen=True)
class Indicators:
    need: Decimal | None  # R
    target: Decimal | None  # T
    activity_plan: Decimal | None  # A
    execution: Decimal | None  # E
    effectiveness: Decimal | None  # F, in percent


@dataclass(frozen=True)
class IndicatorReport:
    """The indicators over a scope with what they came from, so a page can explain a gap."""

    indicators: Indicators
    plan: object | None  # the SalesPlan that gave M and P
    customers: int  # customers in scope that have a need
    records: int  # sales in scope and period, net of the reversing entries dated in it


def _mean(values: Iterable) -> Decimal | None:
    total, count = Decimal(0), 0
    for value in values:
        if value is None:
            continue
        total += Decimal(value)
        count += 1
    return total / count if count else None


def indicators_from_means(
    need: Decimal | None,
    execution: Decimal | None,
    *,
    target_ratio: Decimal | None,
    activity_ratio: Decimal | None,
) -> Indicators:
    """Derive T, A and F from the means R and E; results are rounded once, at the end, to the cent."""
    target = need * Decimal(target_ratio) if need is not None and target_ratio is not None else None
    activity = target * Decimal(activity_ratio) if target is not None and activity_ratio is not None else None
    effectiveness = None
    # A target that rounds to 0.00 counts as zero: F would be a huge number against a shown T of 0.
    if execution is not None and target is not None and cents(target) > 0:
        effectiveness = (execution / target * 100).quantize(PERCENT, rounding=ROUND_HALF_UP)
    return Indicators(
        need=cents(need),
        target=cents(target),
        activity_plan=cents(activity),
        execution=cents(execution),
        effectiveness=effectiveness,
    )


def compute_indicators(
    needs: Iterable,
    executions: Iterable,
    *,
    target_ratio: Decimal | None,
    activity_ratio: Decimal | None,
) -> Indicators:
    """The indicators from raw needs and sales-record amounts; ``None`` values are skipped.

    >>> compute_indicators([10, 20, 30, 40, 50], [10, 20, 30, 40, 50],
    ...                    target_ratio=Decimal("0.5"), activity_ratio=Decimal("0.6")).effectiveness
    Decimal('200.00')
    """
    return indicators_from_means(
        _mean(needs), _mean(executions), target_ratio=target_ratio, activity_ratio=activity_ratio
    )


def _matches(plan, scope: Scope) -> bool:
    """A plan narrowed to a region, channel or category applies only to a scope narrowed the same way."""
    return all(
        not getattr(plan, field) or getattr(plan, field).casefold() == value.casefold()
        for field, value in (
            ("region", scope.region),
            ("channel", scope.channel),
            ("product_category", scope.category),
        )
    )


def _specificity(plan) -> tuple:
    level = {"rep": 3, "team": 2, "company": 1}[plan.scope]
    narrowed = sum(bool(v) for v in (plan.region, plan.channel, plan.product_category))
    # Among equals, the plan with the shorter period describes the scope more closely.
    return (level, narrowed, -(plan.period_end - plan.period_start).days, plan.pk)


def candidate_plans(plans, scope: Scope) -> list:
    """One query: the plans covering the period that could apply to the scope or to any rep in it."""
    wanted = Q(scope="company") | Q(scope="rep")
    if scope.team_id:
        wanted |= Q(scope="team", team_id=scope.team_id)
    return list(plans.filter(period_start__lte=scope.start, period_end__gte=scope.end).filter(wanted))


def choose_plan(plans: list, scope: Scope):
    """The most specific plan for the scope (rep before team before company), or ``None``."""
    fitting = [
        p
        for p in plans
        if _matches(p, scope)
        and (
            p.scope == "company"
            or (p.scope == "team" and scope.team_id and p.team_id == scope.team_id)
            or (p.scope == "rep" and scope.owner_id and p.rep_id == scope.owner_id)
        )
    ]
    return max(fitting, key=_specificity, default=None)


def rep_plans(plans: list, scope: Scope) -> dict[int, object]:
    """The most specific rep plan for each rep, for the leaderboard's attainment."""
    best: dict[int, object] = {}
    for plan in plans:
        if plan.scope != "rep" or not _matches(plan, scope):
            continue
        current = best.get(plan.rep_id)
        if current is None or _specificity(plan) > _specificity(current):
            best[plan.rep_id] = plan
    return best


def indicators_for(sources: Sources, scope: Scope, plan, records: dict | None = None) -> IndicatorReport:
    """R and E from the database (one query each, exact decimal sums), T, A, F from the plan.

    ``records`` ({"total", "sales", "reversals"}) are the period's sales when the caller has them
    already (the dashboard reads them from the rollups), saving E's query.
    """
    needs = sources.customers.filter(customer_q(scope), need__isnull=False).aggregate(
        total=Sum("need"), n=Count("pk")
    )
    # A reversing entry (a reopened deal's sale taken back) nets its sale: it takes the amount out of
    # the sum and the sale out of the count, in the period it is dated.
    if records is None:
        records = (
            sources.records.filter(record_q(scope))
            .filter(sold_on__gte=scope.start, sold_on__lte=scope.end)
            .aggregate(
                total=Sum("amount"),
                sales=Count("pk", filter=Q(reverses__isnull=True)),
                reversals=Count("pk", filter=Q(reverses__isnull=False)),
            )
        )
    net = records["sales"] - records["reversals"]
    need = Decimal(needs["total"]) / needs["n"] if needs["n"] else None
    execution = Decimal(records["total"]) / net if net > 0 else None
    indicators = indicators_from_means(
        need,
        execution,
        target_ratio=plan.target_ratio if plan else None,
        activity_ratio=plan.activity_ratio if plan else None,
    )
    return IndicatorReport(indicators=indicators, plan=plan, customers=needs["n"], records=max(net, 0))
