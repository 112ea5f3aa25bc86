"""Everything the manager dashboard shows, computed in a fixed number of queries."""

import datetime
from dataclasses import dataclass

from sales.metrics.indicators import IndicatorReport, candidate_plans, choose_plan, indicators_for, rep_plans
from sales.metrics.people import (
    ActivitySummary,
    LeaderRow,
    RiskCounts,
    RiskRow,
    activities_by_owner,
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
    deals_by_owner,
    forecast,
    lost_by_reason,
    sales_cycle,
    stage_flow,
    summarize_deals,
    won_trend,
)
from sales.metrics.scope import Scope, Sources


@dataclass(frozen=True)
class Overview:
    scope: Scope
    has_data: bool  # any deal or customer visible at all, whatever the filters
    plan: object | None
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
    lost_reasons: tuple[LostReasonRow, ...]


def overview(sources: Sources, scope: Scope, *, today: datetime.date, stale_days: int) -> Overview:
    """Thirteen queries, whatever the number of deals: the widgets share their grouped queries."""
    has_data = sources.deals.exists() or sources.customers.exists()
    stages = list(sources.stages)
    plans = candidate_plans(sources.plans, scope)
    plan = choose_plan(plans, scope)
    by_owner = deals_by_owner(sources, scope, today=today, stale_days=stale_days)
    activities = activities_by_owner(sources, scope)
    summary = summarize_deals(by_owner)
    funnel, stage_times = stage_flow(sources, scope, stages)
    return Overview(
        scope=scope,
        has_data=has_data,
        plan=plan,
        indicators=indicators_for(sources, scope, plan),
        summary=summary,
        cycle=sales_cycle(sources, scope),
        attainment=attainment(summary.won_revenue, plan, scope, today),
        forecast=forecast(sources, scope, plan),
        trend=won_trend(sources, scope),
        funnel=funnel,
        stage_times=stage_times,
        activities=summarize_activities(activities, plan, sources.activities.model.Kind),
        risk=count_risks(by_owner),
        risk_rows=risk_list(sources, scope, today=today, stale_days=stale_days),
        leaders=rank_reps(by_owner, activities, rep_plans(plans, scope)),
        lost_reasons=lost_by_reason(sources, scope),
    )
