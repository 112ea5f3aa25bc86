"""Plans add up: the revenue and activities quota of any scope and period (see docs/metrics.md).

A plan's quota is spread evenly over its days: the share of a plan in a period is
``quota × days of the plan inside the period ÷ days of the plan``, and a figure is the sum of the
shares of the plans that apply, rounded once at the end (to the cent, or to a whole activity).

Which plans apply, day by day:

- a rep view uses the rep's plans;
- a team view uses the team's plans, and on days no team plan covers, the sum of its members' rep
  plans;
- the company uses company plans; on days none covers, the team plans, plus the rep plans of the
  reps in no team that has a plan that day (so a rep's target counts once, in the widest plan that
  covers them);
- a view filtered to a product category uses that category's plans (by the rules above); an
  unfiltered view uses the plans for all categories, and on days none of those counts, the sum over
  the categories of each category's plans;
- among several plans of the same person or team for the same category that cover a day, the most
  specific one counts (narrowed by region or channel, then the shorter period): never two.

Everything here is pure: it works on the plan rows read by ``plan_rows`` in one query.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet

from sales.metrics.scope import Scope, add_months, cents

ONE = Decimal(1)
REVENUE, ACTIVITIES = "revenue_quota", "activities_quota"
COMPANY, TEAM, REP = "company", "team", "rep"


@dataclass(frozen=True)
class PlanRow:
    """A sales plan as the roll-up reads it; attribute names follow ``SalesPlan``."""

    pk: int
    name: str
    scope: str
    team_id: int | None
    rep_id: int | None
    period_start: datetime.date
    period_end: datetime.date
    target_ratio: Decimal
    activity_ratio: Decimal
    revenue_quota: Decimal | None = None
    activities_quota: int | None = None
    product_category: str = ""
    region: str = ""
    channel: str = ""
    rep_teams: frozenset[int] = field(default_factory=frozenset)  # teams the rep is a member of

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days + 1

    @property
    def length(self) -> str:
        """month, quarter, year or other: how the dashboard names the plan's period."""
        start, end = self.period_start, self.period_end
        if start.day != 1 or end + datetime.timedelta(days=1) != add_months(end, 1):
            return "other"
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if months == 1:
            return "month"
        if months == 3 and start.month % 3 == 1:
            return "quarter"
        if months == 12 and start.month == 1:
            return "year"
        return "other"


FIELDS = (
    "pk", "name", "scope", "team_id", "rep_id", "period_start", "period_end", "target_ratio",
    "activity_ratio", "revenue_quota", "activities_quota", "product_category", "region", "channel",
)  # fmt: skip


def plan_rows(plans: QuerySet, start: datetime.date, end: datetime.date) -> tuple[PlanRow, ...]:
    """One query: every plan the user may see that shares a day with the period, with its rep's teams."""
    rows = (
        plans.filter(period_start__lte=end, period_end__gte=start)
        .values(*FIELDS, "rep__sales_teams")
        .order_by("pk")
    )
    merged: dict[int, dict] = {}
    teams: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        team = row.pop("rep__sales_teams")
        merged.setdefault(row["pk"], row)
        if team is not None:
            teams[row["pk"]].add(team)
    return tuple(PlanRow(**row, rep_teams=frozenset(teams[pk])) for pk, row in merged.items())


@dataclass(frozen=True)
class PlanShare:
    plan: PlanRow
    days: int  # days of the plan that counted in the period

    @property
    def prorated(self) -> bool:
        return self.days < self.plan.days


@dataclass(frozen=True)
class Rollup:
    """A quota and the plans that made it; ``total`` is ``None`` when no plan applies."""

    total: Decimal | int | None
    shares: tuple[PlanShare, ...] = ()

    @property
    def plans(self) -> int:
        return len(self.shares)

    @property
    def prorated(self) -> int:
        return sum(s.prorated for s in self.shares)

    def lengths(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for share in self.shares:
            counts[share.plan.length] = counts.get(share.plan.length, 0) + 1
        return counts


def _fold(text: str) -> str:
    return (text or "").strip().casefold()


def _fits(plan: PlanRow, scope: Scope) -> bool:
    """A plan narrowed to a region or channel counts only in a view narrowed the same way."""
    return all(
        not _fold(getattr(plan, name)) or _fold(getattr(plan, name)) == _fold(getattr(scope, name))
        for name in ("region", "channel")
    )


def _specificity(plan: PlanRow) -> tuple:
    narrowed = bool(_fold(plan.region)) + bool(_fold(plan.channel))
    return (narrowed, -plan.days, plan.pk)


def _best(plans: Iterable[PlanRow]) -> list[PlanRow]:
    """Of the plans of one person or team for one category covering a day, the one that counts."""
    plans = list(plans)
    return [max(plans, key=_specificity)] if plans else []


def _rep(plans: list[PlanRow], rep_id: int) -> list[PlanRow]:
    return _best(p for p in plans if p.scope == REP and p.rep_id == rep_id)


def _team(plans: list[PlanRow], team_id: int) -> list[PlanRow]:
    own = _best(p for p in plans if p.scope == TEAM and p.team_id == team_id)
    if own:
        return own
    members = {p.rep_id for p in plans if p.scope == REP and team_id in p.rep_teams}
    return [p for rep_id in sorted(members) for p in _rep(plans, rep_id)]


def _company(plans: list[PlanRow]) -> list[PlanRow]:
    own = _best(p for p in plans if p.scope == COMPANY)
    if own:
        return own
    chosen, planned_teams = [], set()
    for team_id in sorted({p.team_id for p in plans if p.scope == TEAM}):
        planned_teams.add(team_id)
        chosen += _best(p for p in plans if p.scope == TEAM and p.team_id == team_id)
    reps = {p.rep_id for p in plans if p.scope == REP and not (p.rep_teams & planned_teams)}
    return chosen + [p for rep_id in sorted(reps) for p in _rep(plans, rep_id)]


def _level(plans: list[PlanRow], scope: Scope) -> list[PlanRow]:
    """The plans of one category that count on a day, by the view's level (rep, team or company)."""
    if scope.owner_id:
        return _rep(plans, scope.owner_id)
    if scope.team_id:
        return _team(plans, scope.team_id)
    return _company(plans)


def applying(plans: list[PlanRow], scope: Scope) -> list[PlanRow]:
    """The plans that count on a day, given the plans covering that day."""
    by_category: dict[str, list[PlanRow]] = defaultdict(list)
    for plan in plans:
        by_category[_fold(plan.product_category)].append(plan)
    if scope.category:
        return _level(by_category.get(_fold(scope.category), []), scope)
    overall = _level(by_category.pop("", []), scope)
    if overall:
        return overall
    return [p for category in sorted(by_category) for p in _level(by_category[category], scope)]


def _segments(plans: list[PlanRow], start: datetime.date, end: datetime.date):
    """Stretches of days over which the same plans cover every day, with the plans covering them."""
    day = datetime.timedelta(days=1)
    cuts = {start, end + day}
    for plan in plans:
        for cut in (plan.period_start, plan.period_end + day):
            if start < cut <= end:
                cuts.add(cut)
    edges = sorted(cuts)
    for lo, hi in zip(edges, edges[1:], strict=False):
        yield lo, (hi - lo).days, [p for p in plans if p.period_start <= lo and p.period_end >= lo]


def _counts(plan: PlanRow, scope: Scope, measure: str) -> bool:
    """Whether a plan could count in the view at all; the rest is left out before the day walk."""
    if getattr(plan, measure) is None or plan.period_start > scope.end or plan.period_end < scope.start:
        return False
    if scope.category and _fold(plan.product_category) != _fold(scope.category):
        return False
    if scope.owner_id and not (plan.scope == REP and plan.rep_id == scope.owner_id):
        return False
    in_team = (plan.scope == TEAM and plan.team_id == scope.team_id) or scope.team_id in plan.rep_teams
    if scope.team_id and not scope.owner_id and not in_team:
        return False
    return _fits(plan, scope)


def rollup(rows: Iterable[PlanRow], scope: Scope, measure: str = REVENUE) -> Rollup:
    """The quota of ``measure`` (``revenue_quota`` or ``activities_quota``) over the scope's period."""
    plans = [p for p in rows if _counts(p, scope, measure)]
    used: dict[int, int] = {}
    by_pk = {p.pk: p for p in plans}
    for _, days, covering in _segments(plans, scope.start, scope.end):
        for plan in applying(covering, scope):
            used[plan.pk] = used.get(plan.pk, 0) + days
    if not used:
        return Rollup(total=None)
    shares = tuple(PlanShare(by_pk[pk], days) for pk, days in sorted(used.items()))
    exact = sum((Decimal(getattr(s.plan, measure)) * s.days / s.plan.days for s in shares), Decimal(0))
    total = int(exact.quantize(ONE, rounding=ROUND_HALF_UP)) if measure == ACTIVITIES else cents(exact)
    return Rollup(total=total, shares=shares)


def monthly(rows: Iterable[PlanRow], scope: Scope, months: list[datetime.date]) -> list[Decimal | None]:
    """The revenue quota of each month's days inside the period."""
    rows = tuple(rows)
    result = []
    for month in months:
        start = max(month, scope.start)
        end = min(add_months(month, 1) - datetime.timedelta(days=1), scope.end)
        result.append(rollup(rows, replace(scope, start=start, end=end)).total)
    return result


def rep_quotas(rows: Iterable[PlanRow], scope: Scope, rep_ids: Iterable[int]) -> dict[int, Decimal | None]:
    """Each rep's revenue quota over the period, within the view's category, region and channel."""
    rows = tuple(rows)
    return {rep_id: rollup(rows, replace(scope, owner_id=rep_id, team_id=None)).total for rep_id in rep_ids}


def plan_categories(rows: Iterable[PlanRow]) -> list[str]:
    """The categories some plan names, as first written, in order."""
    seen: dict[str, str] = {}
    for row in rows:
        if _fold(row.product_category):
            seen.setdefault(_fold(row.product_category), row.product_category.strip())
    return sorted(seen.values(), key=str.casefold)
