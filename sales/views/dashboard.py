"""The manager dashboard: the metrics of ``sales.metrics`` over a scope the user picks and may see."""

import datetime
import hashlib
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sales.metrics import Overview, Scope, overview, visible_sources
from sales.metrics.scope import add_months
from sales.models import Product, Team
from sales.visibility import is_admin, is_manager, visible_people

PERIODS = [
    ("month", _("This month")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
    ("custom", _("Custom range")),
]


# The metrics walk months and day bounds; dates far outside business history only overflow.
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2200, 12, 31)
DATE_BOUNDS = [MinValueValidator(EARLIEST), MaxValueValidator(LATEST)]


def preset_period(name: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The calendar month, quarter or year around ``today``."""
    if name == "month":
        start = today.replace(day=1)
        return start, add_months(start, 1) - datetime.timedelta(days=1)
    if name == "year":
        return datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    start = datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return start, add_months(start, 3) - datetime.timedelta(days=1)


class DashboardFilterForm(forms.Form):
    """The filter bar; its options are limited to what the user may see, and bad values are dropped."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=DATE_BOUNDS,
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=DATE_BOUNDS
    )
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    owner = forms.TypedChoiceField(label=_("Rep"), coerce=int, required=False, empty_value=None)
    region = forms.ChoiceField(label=_("Region"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    category = forms.ChoiceField(label=_("Product category"), required=False)

    def __init__(self, data: QueryDict, *, user, today: datetime.date, sources):
        self.user, self.today = user, today
        self.sees_others = is_admin(user) or is_manager(user)
        teams = list(Team.objects.visible_to(user).values_list("pk", "name")) if self.sees_others else []
        data = data.copy()
        data.setdefault("period", "quarter")
        if "team" not in data and len(teams) == 1 and not is_admin(user):
            # A manager of one team starts on it, so the team's plan is the one the cards use.
            data["team"] = str(teams[0][0])
        super().__init__(data)
        for name, field in self.fields.items():
            css = "form-control form-control-sm" if name in ("start", "end") else "form-select form-select-sm"
            field.widget.attrs["class"] = css
        self.fields["team"].choices = [("", _("All teams")), *teams]
        self.fields["owner"].choices = [("", _("All reps")), *self._owner_choices()]
        pairs = list(sources.customers.order_by().values_list("region", "channel").distinct())
        regions = sorted({r for r, _ in pairs if r})
        channels = sorted({c for _, c in pairs if c})
        categories = (
            Product.objects.exclude(category="").order_by("category").values_list("category", flat=True)
        )
        self.fields["region"].choices = [("", _("All regions")), *((r, r) for r in regions)]
        self.fields["channel"].choices = [("", _("All channels")), *((c, c) for c in channels)]
        self.fields["category"].choices = [
            ("", _("All categories")),
            *((c, c) for c in categories.distinct()),
        ]

    def _owner_choices(self) -> list[tuple[int, str]]:
        if not self.sees_others:
            return []
        return [(u.pk, u.get_full_name() or u.username) for u in visible_people(self.user)]

    def scope(self) -> Scope:
        self.is_valid()
        data = self.cleaned_data
        period = data.get("period") or "quarter"
        start, end = preset_period(period, self.today)
        if period == "custom" and data.get("start") and data.get("end"):
            start, end = sorted((data["start"], data["end"]))
        if not self.sees_others:
            return Scope(start, end, owner_id=self.user.pk, **self._texts())
        return Scope(start, end, team_id=data.get("team"), owner_id=data.get("owner"), **self._texts())

    def _texts(self) -> dict:
        return {k: self.cleaned_data.get(k) or "" for k in ("region", "channel", "category")}


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:  # the lists ship separately; until then the links point where they will be
        return fallback


def _deal_list_url() -> str:
    return _url("sales:deal_list", "/deals/")


def _deal_url(pk: int) -> str:
    try:
        return reverse("sales:deal_detail", args=[pk])
    except NoReverseMatch:
        return f"/deals/{pk}/"


class Links:
    """Drill-down links to the deal list, carrying the scope's filters (never another user's data)."""

    def __init__(self, scope: Scope, is_rep: bool):
        self.scope = scope
        self.base_url = _deal_list_url()
        base = {"team": scope.team_id, "region": scope.region, "channel": scope.channel}
        base |= {"category": scope.category, "owner": None if is_rep else scope.owner_id}
        self.base = {k: v for k, v in base.items() if v}

    def deals(self, **params) -> str:
        query = {**self.base, **{k: v for k, v in params.items() if v is not None}}
        return f"{self.base_url}?{urlencode(query, doseq=True)}" if query else self.base_url

    def closed(self, status: str | None = None, start=None, end=None, **extra) -> str:
        start, end = start or self.scope.start, end or self.scope.end
        return self.deals(status=status, closed_from=start.isoformat(), closed_to=end.isoformat(), **extra)


def _with_query(url: str, params: dict) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{url}?{query}" if query else url


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


def _records_url(scope: Scope, is_rep: bool) -> str:
    """The sales records behind E: the record list filters by sold-on dates, owner and the texts."""
    params = {"start": scope.start.isoformat(), "end": scope.end.isoformat()}
    params |= {"owner": None if is_rep else scope.owner_id, "region": scope.region, "channel": scope.channel}
    params |= {"category": scope.category}
    return _with_query(_url("sales:salesrecord_list", "/sales-records/"), params)


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


def _context(data: Overview, links: Links, is_rep: bool) -> dict:
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
            _with_query(reverse("customers:customer_list"), customer_filters),
            _records_url(scope, is_rep),
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
        "risk_rows": [{"risk": r, "deal": r.deal, "url": _deal_url(r.deal.pk)} for r in data.risk_rows],
        "risk_links": {k: links.deals(status="open", risk=k) for k in ("stale", "overdue", "slipped")},
        "activity_pct": _percent(data.activities.attainment),
        "charts": _charts(data, links),
        "trend_has_data": any(data.trend.deals),
        "stale_days": settings.CRM_STALE_DAYS,
    }


def _wants_body_only(request: HttpRequest) -> bool:
    # A history restore after a cache miss asks for the whole page, even though htmx sends it.
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == "dashboard-body"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def cached_overview(
    user, sources, scope: Scope, today: datetime.date, *, fresh: bool
) -> tuple[Overview, object]:
    """The overview and when it was computed; kept per user and scope for a short while if configured.

    CRM_DASHBOARD_CACHE_SECONDS (0, the default, turns it off) trades a minute of staleness for a
    dashboard that opens without re-aggregating the whole book; ``fresh`` recomputes it now.
    """
    seconds = getattr(settings, "CRM_DASHBOARD_CACHE_SECONDS", 0)
    stale_days = settings.CRM_STALE_DAYS
    if seconds <= 0:
        return overview(sources, scope, today=today, stale_days=stale_days), timezone.now()
    # The user is part of the key: what a user may see is theirs alone.
    raw = repr((user.pk, scope, today, stale_days)).encode()
    key = "crm:dashboard:" + hashlib.sha256(raw).hexdigest()
    hit = None if fresh else cache.get(key)
    if hit is None:
        hit = (overview(sources, scope, today=today, stale_days=stale_days), timezone.now())
        cache.set(key, hit, seconds)
    return hit


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    sources = visible_sources(request.user)
    form = DashboardFilterForm(request.GET, user=request.user, today=today, sources=sources)
    scope = form.scope()
    fresh = request.GET.get("fresh") == "1"
    data, computed_at = cached_overview(request.user, sources, scope, today, fresh=fresh)
    is_rep = not form.sees_others
    refresh = request.GET.copy()
    refresh["fresh"] = "1"
    context = {
        "form": form,
        "computed_at": computed_at,
        "cache_on": getattr(settings, "CRM_DASHBOARD_CACHE_SECONDS", 0) > 0,
        "refresh_url": f"{request.path}?{refresh.urlencode()}",
        **_context(data, Links(scope, is_rep), is_rep),
    }
    if _wants_body_only(request):
        return render(request, "sales/partials/dashboard_body.html", context)
    return render(request, "sales/dashboard.html", context)
