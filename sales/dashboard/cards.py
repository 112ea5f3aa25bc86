"""The dashboard's cards, charts and tables, built from an ``Overview`` and ready to render."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sales.dashboard.links import Links, records_url, with_query
from sales.metrics import Overview
from sales.metrics.scope import add_months


def _month_end(month: datetime.date) -> datetime.date:
    return add_months(month, 1) - datetime.timedelta(days=1)


def _percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else value * 100


def _number(value) -> float | None:
    """Chart.js wants JSON numbers; the cards keep the exact Decimal."""
    return None if value is None else float(value)


def _month_label(month: datetime.date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def _charts(data: Overview, links: Links) -> dict:
    forecast = data.forecast.months
    scope = data.scope
    return {
        "funnel": {
            "legend": gettext("Deals"),
            "labels": [s.name for s in data.funnel],
            "reached": [s.reached for s in data.funnel],
            "urls": [
                links.deals(
                    opened_from=scope.start.isoformat(), opened_to=scope.end.isoformat(), reached=s.key
                )
                for s in data.funnel
            ],
        },
        "forecast": {
            "legend": {
                "pipeline": gettext("Pipeline"),
                "weighted": gettext("Weighted"),
                "target": gettext("Target"),
            },
            "labels": [_month_label(m.month) for m in forecast],
            "amount": [_number(m.amount) for m in forecast],
            "weighted": [_number(m.weighted) for m in forecast],
            "target": [_number(m.target) for m in forecast] if any(m.target for m in forecast) else [],
            "urls": [
                links.deals(
                    status="open",
                    close_from=max(m.month, scope.start).isoformat(),
                    close_to=min(_month_end(m.month), scope.end).isoformat(),
                )
                for m in forecast
            ],
        },
        "trend": {
            "legend": gettext("Won revenue"),
            "labels": [_month_label(m) for m in data.trend.months],
            "values": [_number(v) for v in data.trend.values],
            "urls": [links.closed("won", m, _month_end(m)) for m in data.trend.months],
        },
    }


def _indicator_cards(data: Overview, links: Links, customers_url: str, records_url: str) -> list[dict]:
    i, plan = data.indicators.indicators, data.plan
    no_plan = _("No sales plan covers this period and scope.")
    no_need = _("No customer in scope has a need recorded.")
    target_missing = no_plan if plan is None else no_need
    return [
        {
            "symbol": "R",
            "label": _("Average customer need"),
            "value": i.need,
            "kind": "money",
            "formula": _("R = mean need of the customers in scope that have one"),
            "url": customers_url,
            "note": _("%(n)s customers") % {"n": data.indicators.customers},
            "missing": no_need,
        },
        {
            "symbol": "T",
            "label": _("Sales target"),
            "value": i.target,
            "kind": "money",
            "formula": _("T = R × M (target ratio of the plan)"),
            "url": customers_url,
            "note": _("M = %(m)s") % {"m": plan.target_ratio.normalize()} if plan else "",
            "missing": target_missing,
        },
        {
            "symbol": "A",
            "label": _("Activity plan"),
            "value": i.activity_plan,
            "kind": "money",
            "formula": _("A = T × P (activity ratio of the plan)"),
            "url": customers_url,
            "note": _("P = %(p)s") % {"p": plan.activity_ratio.normalize()} if plan else "",
            "missing": target_missing,
        },
        {
            "symbol": "E",
            "label": _("Execution average"),
            "value": i.execution,
            "kind": "money",
            "formula": _("E = mean amount of the sales records in the period"),
            "url": records_url,
            "note": _("%(n)s sales records") % {"n": data.indicators.records},
            "missing": _("No sales recorded in this period."),
        },
        {
            "symbol": "F",
            "label": _("Effectiveness"),
            "value": i.effectiveness,
            "kind": "percent",
            "formula": _("F = E / T × 100 %"),
            "url": records_url,
            "note": "",
            "missing": _("Needs both E and a target T above zero."),
        },
    ]


def _pipeline_cards(data: Overview, links: Links) -> list[dict]:
    s, cycle = data.summary, data.cycle
    won, no_won = links.closed("won"), _("No deals won in this period.")
    return [
        {
            "label": _("Won revenue"),
            "value": s.won_revenue,
            "kind": "money",
            "url": won,
            "formula": _("Sum of the amounts of deals won (by closed on) in the period"),
        },
        {"label": _("Deals won"), "value": s.deals_won, "kind": "count", "url": won},
        {"label": _("Deals lost"), "value": s.deals_lost, "kind": "count", "url": links.closed("lost")},
        {
            "label": _("Win rate"),
            "value": _percent(s.win_rate),
            "kind": "percent",
            "url": links.closed(),
            "formula": _("won / (won + lost), deals closed in the period; open deals are left out"),
            "missing": _("No deals closed in this period."),
        },
        {
            "label": _("Average won deal"),
            "value": s.average_won,
            "kind": "money",
            "url": won,
            "formula": _("Won revenue / deals won"),
            "missing": no_won,
        },
        {
            "label": _("Sales cycle"),
            "value": cycle.mean_days,
            "kind": "days",
            "url": won,
            "formula": _("Days from opened on to closed on, deals won in the period: mean (median)"),
            "note": _("median %(d)s days") % {"d": cycle.median_days}
            if cycle.median_days is not None
            else "",
            "missing": no_won,
        },
        {
            "label": _("Open pipeline"),
            "value": s.open_amount,
            "kind": "money",
            "url": links.deals(status="open"),
            "formula": _("Sum of the amounts of the open deals, today"),
            "note": _("%(n)s open deals") % {"n": s.open_deals},
        },
        {
            "label": _("Weighted pipeline"),
            "value": s.weighted_amount,
            "kind": "money",
            "url": links.deals(status="open"),
            "formula": _("Sum of amount × probability over the open deals, today"),
        },
    ]


def dashboard_context(data: Overview, links: Links, is_rep: bool) -> dict:
    scope = data.scope
    opened = {"opened_from": scope.start.isoformat(), "opened_to": scope.end.isoformat()}
    times = {t.key: t for t in data.stage_times}
    funnel_keys = {step.key for step in data.funnel}
    customer_filters = {"owner": None if is_rep else scope.owner_id, "region": scope.region}
    customer_filters |= {"channel": scope.channel, "team": scope.team_id}
    return {
        "data": data,
        "is_rep": is_rep,
        "indicator_cards": _indicator_cards(
            data,
            links,
            with_query(reverse("sales:customer_list"), customer_filters),
            records_url(scope, is_rep),
        ),
        "pipeline_cards": _pipeline_cards(data, links),
        "links": {
            "won": links.closed("won"),
            "lost": links.closed("lost"),
            "closed": links.closed(),
            "open": links.deals(status="open"),
        },
        "attainment_pct": _percent(data.attainment.attainment),
        "pace_pct": _percent(data.attainment.pace),
        "elapsed_pct": _percent(data.attainment.elapsed),
        "funnel_rows": [
            {
                "step": step,
                "conversion": _percent(step.conversion),
                "time": time,
                "url": links.deals(reached=step.key, **opened),
            }
            for step in data.funnel
            for time in [times.get(step.key)]
        ],
        "other_stage_times": [t for t in data.stage_times if t.key not in funnel_keys],
        "leaders": [
            {
                "row": r,
                "win_rate": _percent(r.win_rate),
                "attainment": _percent(r.attainment),
                "won_url": links.closed("won", owner=r.owner_id),
                "lost_url": links.closed("lost", owner=r.owner_id),
                "closed_url": links.closed(owner=r.owner_id),
            }
            for r in data.leaders
        ],
        "risk_rows": [
            {"risk": r, "deal": r.deal, "url": reverse("sales:deal_detail", args=[r.deal.pk])}
            for r in data.risk_rows
        ],
        "risk_links": {k: links.deals(status="open", risk=k) for k in ("stale", "overdue", "slipped")},
        "activity_pct": _percent(data.activities.attainment),
        "charts": _charts(data, links),
        "trend_has_data": any(data.trend.deals),
        "stale_days": settings.CRM_STALE_DAYS,
    }
