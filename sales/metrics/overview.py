"""Everything the manager dashboard shows, computed in a fixed number of queries."""

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from sales.metrics import rolled
from sales.metrics.actuals import Actuals, Execution, execution
from sales.metrics.indicators import IndicatorReport, choose_plan, indicators_for
from sales.metrics.people import (
    ActivitySummary,
    LeaderRow,
    RiskCounts,
    RiskRow,
    count_risks,
    rank_reps,
    risk_list,
    summarize_activities,
)
from sales.metrics.pipeline import (
    Attainment,
    DealSummary,
    Forecast,
    FunnelStep,
    LostReasonRow,
    MonthlySeries,
    SalesCycle,
    StageTime,
    attainment,
    summarize_deals,
)
from sales.metrics.plans import ACTIVITIES, PlanRow, Rollup, plan_rows, rep_quotas, rollup
from sales.metrics.scope import Scope, Sources


@dataclass(frozen=True)
class Overview:
    scope: Scope
    has_data: bool  # any deal or customer visible at all, whatever the filters
    plan: object | None  # the plan that gives M and P
    indicators: IndicatorReport
    summary: DealSummary
    cycle: SalesCycle
    attainment: Attainment
    forecast: Forecast
    trend: MonthlySeries
    funnel: tuple[FunnelStep, ...]
    stage_times: tuple[StageTime, ...]
    activities: ActivitySummary
    risk: RiskCounts
    risk_rows: tuple[RiskRow, ...]
    leaders: tuple[LeaderRow, ...]
    quota: Rollup  # the revenue quota the plans add up to, and the plans that made it
    activity_quota: Rollup
    actuals: Actuals
    execution: Execution
    lost_reasons: tuple[LostReasonRow, ...]
    learned_weights: bool = False  # the weighted pipeline and forecast use learned probabilities


def ratio_plan(rows: tuple[PlanRow, ...], scope: Scope, quota: Rollup):
    """The plan giving M and P: the most specific one covering the whole period, else the plan that
    counts for the most days of the revenue quota."""
    covering = [p for p in rows if p.period_start <= scope.start and p.period_end >= scope.end]
    plan = choose_plan(covering, scope)
    if plan is None and quota.shares:
        plan = max(quota.shares, key=lambda s: (s.days, s.plan.pk)).plan
    return plan


def overview(
    sources: Sources,
    scope: Scope,
    *,
    today: datetime.date,
    stale_days: int,
    weights: dict[int, Decimal] | None = None,
) -> Overview:
    """A fixed number of queries, whatever the number of deals or plans: the widgets share grouped
    queries, most of them over the rollups.

    ``weights`` (stage id -> learned probability) weigh the pipeline and forecast instead of the
    stage defaults; see ``sales.metrics.probabilities``.
    """
    has_data = sources.deals.exists() or sources.customers.exists()
    stages = list(sources.stages)
    rows = plan_rows(sources.plans, scope.start, scope.end)
    quota = rollup(rows, scope)
    plan = ratio_plan(rows, scope, quota)
    # The period's figures from the rollups; what is about now (stale deals) from the open deals.
    closed = rolled.closed_deals(sources, scope, sources.lost_reasons)
    book = rolled.open_book(sources, scope, today, weights)
    live = rolled.open_owners(book, rolled.stale_counts(sources, scope, today, stale_days))
    by_owner = rolled.merge_owners(live, closed)
    activities = rolled.activities_by_owner(sources, scope)
    sold = rolled.sales_records(sources, scope)
    actuals = sold.actuals
    records = {"total": actuals.total, "sales": sold.sales, "reversals": sold.reversals}
    funnel, stage_times = rolled.stage_flow(sources, scope, stages)
    summary = summarize_deals(by_owner)
    activity_quota = rollup(rows, scope, ACTIVITIES)
    done = execution(rows, actuals, scope)
    pipeline = rolled.forecast(sources, scope, weights)
    months = tuple(replace(m, target=r.target) for m, r in zip(pipeline.months, done.months, strict=True))
    owners = {r.owner_id for r in by_owner} | {r.owner_id for r in activities} | set(actuals.by_owner)
    return Overview(
        scope=scope,
        has_data=has_data,
        plan=plan,
        indicators=indicators_for(sources, scope, plan, records),
        summary=summary,
        cycle=closed.cycle,
        attainment=attainment(actuals.total, quota.total, scope, today),
        forecast=replace(pipeline, months=months),
        trend=rolled.won_trend(sources, scope),
        funnel=funnel,
        stage_times=stage_times,
        activities=summarize_activities(activities, activity_quota.total, sources.activities.model.Kind),
        risk=count_risks(by_owner),
        risk_rows=risk_list(sources, scope, today=today, stale_days=stale_days),
        leaders=rank_reps(
            by_owner, activities, rep_quotas(rows, scope, owners), actuals.by_owner, actuals.names
        ),
        quota=quota,
        activity_quota=activity_quota,
        actuals=actuals,
        execution=done,
        learned_weights=weights is not None,
        lost_reasons=closed.reasons,
    )
