"""The dashboard's cards, charts and tables, built from an ``Overview`` and ready to render."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from operator import attrgetter

from django.conf import settings
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from crm.formatting import format_money
from sales.dashboard.links import Links, plans_url, records_url, with_query
from sales.metrics import Overview
from sales.metrics.scope import add_months
from sales.models.catalog import shown_name


def _month_end(month: datetime.date) -> datetime.date:
    return add_months(month, 1) - datetime.timedelta(days=1)


def _percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else value * 100


def _number(value) -> float | None:
    """Chart.js wants JSON numbers; the cards keep the exact Decimal."""
    return None if value is None else float(value)


def _month_label(month: datetime.date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def _opened_in(scope) -> dict[str, str]:
    """The deal list's filter for deals opened in the period, which the funnel counts."""
    return {"opened_from": scope.start.isoformat(), "opened_to": scope.end.isoformat()}


@dataclass(frozen=True)
class CardView:
    """One figure as the card template shows it."""

    label: str
    value: object
    kind: str  # money, count, percent or days: how the value is formatted
    url: str
    formula: str = ""
    note: str = ""
    missing: str = ""  # why there is no value, shown when ``value`` is None
    symbol: str = ""


@dataclass(frozen=True)
class Card:
    """How a card reads its figure from the overview; ``url`` names one of the dashboard's links."""

    label: str
    kind: str
    value: Callable[[Overview], object]
    url: str
    formula: str = ""
    note: Callable[[Overview], str] | None = None
    missing: str = ""
    symbol: str = ""
    # M and P come from the sales plan: without one the card says so and has no note.
    from_plan: bool = False

    def view(self, data: Overview, urls: dict[str, str]) -> CardView:
        planned = data.plan is not None or not self.from_plan
        missing = self.missing if planned else _("No sales plan covers this period and scope.")
        return CardView(
            label=self.label,
            value=self.value(data),
            kind=self.kind,
            url=urls[self.url],
            formula=self.formula,
            note=self.note(data) if self.note and planned else "",
            missing=missing,
            symbol=self.symbol,
        )


NO_NEED = _("No customer in scope has a need recorded.")


def _period_note(ratio_note: str, data: Overview) -> str:
    """The ratio the card used, and the period's total target beside the per-customer figure."""
    if data.quota.total is None:
        return ratio_note
    total = format_money(data.quota.total)
    return gettext("%(ratio)s · period target %(total)s") % {"ratio": ratio_note, "total": total}


LENGTHS = {
    "month": lambda n: ngettext("%(n)s monthly plan", "%(n)s monthly plans", n),
    "quarter": lambda n: ngettext("%(n)s quarterly plan", "%(n)s quarterly plans", n),
    "year": lambda n: ngettext("%(n)s yearly plan", "%(n)s yearly plans", n),
    "other": lambda n: ngettext("%(n)s plan", "%(n)s plans", n),
}


def describe_plans(rollup) -> str:
    """Which plans made a quota, as "2 quarterly plans, 1 pro-rated"."""
    counts = rollup.lengths()
    parts = [
        LENGTHS[k](counts[k]) % {"n": counts[k]} for k in ("year", "quarter", "month", "other") if k in counts
    ]
    if rollup.prorated:
        parts.append(gettext("%(n)s pro-rated") % {"n": rollup.prorated})
    return ", ".join(parts)


NO_WON = _("No deals won in this period.")

INDICATOR_CARDS = (
    Card(
        symbol="R",
        label=_("Average customer need"),
        kind="money",
        value=attrgetter("indicators.indicators.need"),
        url="customers",
        formula=_("R = mean need of the customers in scope that have one (the customer list it links to)"),
        note=lambda d: _("%(n)s customers") % {"n": d.indicators.customers},
        missing=NO_NEED,
    ),
    Card(
        symbol="T",
        label=_("Sales target per customer"),
        kind="money",
        value=attrgetter("indicators.indicators.target"),
        url="customers",
        formula=_(
            "T = R × M: the average need of the customers in scope (the customer list it links to) "
            "times the target ratio M of the plan. The period's total target is the quota of the plans."
        ),
        note=lambda d: _period_note(_("M = %(m)s") % {"m": d.plan.target_ratio.normalize()}, d),
        missing=NO_NEED,
        from_plan=True,
    ),
    Card(
        symbol="A",
        label=_("Activity plan per customer"),
        kind="money",
        value=attrgetter("indicators.indicators.activity_plan"),
        url="customers",
        formula=_(
            "A = T × P: money to spend on winning each customer, the target per customer times the "
            "activity ratio P of the plan; the activities card counts calls and meetings instead."
        ),
        note=lambda d: _period_note(_("P = %(p)s") % {"p": d.plan.activity_ratio.normalize()}, d),
        missing=NO_NEED,
        from_plan=True,
    ),
    Card(
        symbol="E",
        label=_("Execution average per sales record"),
        kind="money",
        value=attrgetter("indicators.indicators.execution"),
        url="records",
        formula=_("E = mean amount of the sales records in the period (the record list it links to)"),
        note=lambda d: _("%(n)s sales records") % {"n": d.indicators.records},
        missing=_("No sales recorded in this period."),
    ),
    Card(
        symbol="F",
        label=_("Effectiveness"),
        kind="percent",
        value=attrgetter("indicators.indicators.effectiveness"),
        url="records",
        formula=_("F = E / T × 100 %: the average sale against the target per customer"),
        missing=_("Needs both E and a target T above zero."),
    ),
)

PIPELINE_CARDS = (
    Card(
        label=_("Won revenue"),
        kind="money",
        value=attrgetter("summary.won_revenue"),
        url="won",
        formula=_("Sum of the amounts of deals won (by closed on) in the period"),
    ),
    Card(label=_("Deals won"), kind="count", value=attrgetter("summary.deals_won"), url="won"),
    Card(label=_("Deals lost"), kind="count", value=attrgetter("summary.deals_lost"), url="lost"),
    Card(
        label=_("Win rate"),
        kind="percent",
        value=lambda d: _percent(d.summary.win_rate),
        url="closed",
        formula=_("won / (won + lost), deals closed in the period; open deals are left out"),
        missing=_("No deals closed in this period."),
    ),
    Card(
        label=_("Average won deal"),
        kind="money",
        value=attrgetter("summary.average_won"),
        url="won",
        formula=_("Won revenue / deals won"),
        missing=NO_WON,
    ),
    Card(
        label=_("Sales cycle"),
        kind="days",
        value=attrgetter("cycle.mean_days"),
        url="won",
        formula=_("Days from opened on to closed on, deals won in the period: mean (median)"),
        note=lambda d: (
            _("median %(d)s days") % {"d": d.cycle.median_days} if d.cycle.median_days is not None else ""
        ),
        missing=NO_WON,
    ),
    Card(
        label=_("Open pipeline"),
        kind="money",
        value=attrgetter("summary.open_amount"),
        url="open",
        formula=_("Sum of the amounts of the open deals, today"),
        note=lambda d: _("%(n)s open deals") % {"n": d.summary.open_deals},
    ),
    Card(
        label=_("Weighted pipeline"),
        kind="money",
        value=attrgetter("summary.weighted_amount"),
        url="open",
        formula=_("Sum of amount × probability over the open deals, today"),
        note=lambda d: (
            _("weighted with learned probabilities")
            if d.learned_weights
            else _("weighted with stage defaults")
        ),
    ),
)


def _funnel_chart(data: Overview, links: Links) -> dict:
    opened = _opened_in(data.scope)
    return {
        "legend": gettext("Deals"),
        "labels": [s.name for s in data.funnel],
        "reached": [s.reached for s in data.funnel],
        "urls": [links.deals(**opened, reached=s.key) for s in data.funnel],
    }


def _forecast_chart(data: Overview, links: Links, today: datetime.date | None = None) -> dict:
    """Past months: realised sales against the target; months to come: the pipeline expected to close."""
    months, scope = data.forecast.months, data.scope
    legend = {"pipeline": gettext("Pipeline"), "weighted": gettext("Weighted"), "target": gettext("Target")}
    legend["actual"] = gettext("Sales")
    actual = {row.key: row.actual for row in data.execution.months}

    def ahead(m) -> bool:
        return today is None or _month_end(m.month) >= today

    def past(m) -> bool:
        return today is None or m.month <= today

    return {
        "legend": legend,
        "labels": [_month_label(m.month) for m in months],
        "amount": [_number(m.amount) if ahead(m) else None for m in months],
        "weighted": [_number(m.weighted) if ahead(m) else None for m in months],
        "actual": [_number(actual.get(m.month)) if past(m) else None for m in months],
        "target": [_number(m.target) for m in months] if any(m.target for m in months) else [],
        "urls": [
            links.deals(
                status="open",
                close_from=max(m.month, scope.start).isoformat(),
                close_to=min(_month_end(m.month), scope.end).isoformat(),
            )
            for m in months
        ],
    }


def _trend_chart(data: Overview, links: Links) -> dict:
    return {
        "legend": gettext("Won revenue"),
        "labels": [_month_label(m) for m in data.trend.months],
        "values": [_number(v) for v in data.trend.values],
        "urls": [links.closed("won", m, _month_end(m)) for m in data.trend.months],
    }


def _urls(data: Overview, links: Links, is_rep: bool) -> dict[str, str]:
    """The lists the cards drill into, by the names the cards use."""
    scope = data.scope
    customer_filters = {"owner": None if is_rep else scope.owner_id, "region": scope.region}
    # Exactly the customers R counts: in scope and with a need (customers have no period or product).
    customer_filters |= {"channel": scope.channel, "team": scope.team_id, "has_need": "true"}
    return {
        "won": links.closed("won"),
        "lost": links.closed("lost"),
        "closed": links.closed(),
        "open": links.deals(status="open"),
        "customers": with_query(reverse("sales:customer_list"), customer_filters),
        "records": records_url(scope, is_rep),
    }


def _funnel_rows(data: Overview, links: Links) -> list[dict]:
    opened = _opened_in(data.scope)
    times = {t.key: t for t in data.stage_times}
    return [
        {
            "step": step,
            "conversion": _percent(step.conversion),
            "time": times.get(step.key),
            "url": links.deals(reached=step.key, **opened),
        }
        for step in data.funnel
    ]


def _leaders(data: Overview, links: Links) -> list[dict]:
    scope = data.scope
    return [
        {
            "row": r,
            "win_rate": _percent(r.win_rate),
            "attainment": _percent(r.attainment),
            "won_url": links.closed("won", owner=r.owner_id),
            "lost_url": links.closed("lost", owner=r.owner_id),
            "closed_url": links.closed(owner=r.owner_id),
            "sales_url": records_url(replace(scope, owner_id=r.owner_id), False),
        }
        for r in data.leaders
    ]


def _risk(data: Overview, links: Links) -> dict:
    rows = [
        {"risk": r, "deal": r.deal, "url": reverse("sales:deal_detail", args=[r.deal.pk])}
        for r in data.risk_rows
    ]
    risk_links = {k: links.deals(status="open", risk=k) for k in ("stale", "overdue", "slipped")}
    return {"risk_rows": rows, "risk_links": risk_links}


def _execution(data: Overview, links: Links, is_rep: bool) -> dict:
    """Actual against target per category and per rep, each line linking to the sales behind it."""
    scope = data.scope

    def row(line, **narrow):
        return {
            "row": line,
            "pct": _percent(line.execution),
            "url": records_url(replace(scope, **narrow), is_rep),
        }

    categories = [row(c, category=c.key) if c.key else row(c) for c in data.execution.categories]
    months = [
        row(m, start=max(m.key, scope.start), end=min(_month_end(m.key), scope.end))
        for m in data.execution.months
    ]
    reps = [
        {
            "row": r,
            "pct": _percent(r.attainment),
            "url": records_url(replace(scope, owner_id=r.owner_id), False),
        }
        for r in data.leaders
        if r.sales or r.quota is not None
    ]
    return {
        "total": row(data.execution.total),
        "categories": categories,
        "months": months,
        "reps": [] if is_rep else reps,
        "quota_note": describe_plans(data.quota),
        "activity_quota_note": describe_plans(data.activity_quota),
        "plans_url": None if is_rep else plans_url(scope),
    }


def _lost_reasons(data: Overview, links: Links) -> list[dict]:
    """Lost deals by reason, each linking to the lost deals of the period lost for it."""
    return [
        {
            "row": r,
            "name": shown_name(r.name, r.local_name) or gettext("No reason recorded"),
            "url": links.closed("lost", lost_reason=r.reason_id) if r.reason_id else links.closed("lost"),
        }
        for r in data.lost_reasons
    ]


def dashboard_context(data: Overview, links: Links, is_rep: bool, today: datetime.date | None = None) -> dict:
    urls = _urls(data, links, is_rep)
    funnel_keys = {step.key for step in data.funnel}
    return {
        "data": data,
        "is_rep": is_rep,
        "indicator_cards": [card.view(data, urls) for card in INDICATOR_CARDS],
        "pipeline_cards": [card.view(data, urls) for card in PIPELINE_CARDS],
        "links": urls,
        "attainment_pct": _percent(data.attainment.attainment),
        "pace_pct": _percent(data.attainment.pace),
        "elapsed_pct": _percent(data.attainment.elapsed),
        "funnel_rows": _funnel_rows(data, links),
        "other_stage_times": [t for t in data.stage_times if t.key not in funnel_keys],
        "leaders": _leaders(data, links),
        "lost_reasons": _lost_reasons(data, links),
        **_risk(data, links),
        "activity_pct": _percent(data.activities.attainment),
        "charts": {
            "funnel": _funnel_chart(data, links),
            "forecast": _forecast_chart(data, links, today),
            "trend": _trend_chart(data, links),
        },
        "trend_has_data": any(data.trend.deals),
        "stale_days": settings.CRM_STALE_DAYS,
        "execution": _execution(data, links, is_rep),
    }
