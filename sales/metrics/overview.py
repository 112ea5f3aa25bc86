"""Everything the manager dashboard shows, computed in a fixed number of queries."""

import datetime
from dataclasses import dataclass

from sales.metrics.indicators import IndicatorReport, candidate_plans, choose_plan, indicators_for, rep_plans
from sales.metrics.people import (
    ActivitySummary,
    LeaderRow,
    RiskCounts,
    RiskRow,
    activity_summary,
    leaderboard,
    risk_counts,
    risk_list,
)
from sales.metrics.pipeline import (
    Attainment,
    DealSummary,
    Forecast,
    FunnelStep,
    MonthlySeries,
    SalesCycle,
    StageTime,
    attainment,
    deal_summary,
    forecast,
    funnel,
    sales_cycle,
    time_in_stage,
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


def overview(sources: Sources, scope: Scope, *, today: datetime.date, stale_days: int) -> Overview:
    """One query per widget (about fifteen in all), whatever the number of deals."""
    has_data = sources.deals.exists() or sources.customers.exists()
    stages = list(sources.stages)
    plans = candidate_plans(sources.plans, scope)
    plan = choose_plan(plans, scope)
    summary = deal_summary(sources, scope)
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
        funnel=funnel(sources, scope, stages),
        stage_times=time_in_stage(sources, scope, stages),
        activities=activity_summary(sources, scope, plan),
        risk=risk_counts(sources, scope, today=today, stale_days=stale_days),
        risk_rows=risk_list(sources, scope, today=today, stale_days=stale_days),
        leaders=leaderboard(sources, scope, rep_plans(plans, scope)),
    )
