"""The plans page: people or teams (rows) × periods (columns), one sales plan per cell.

A cell is the plan of one rep or team for exactly one period (a month, a quarter or a year) and one
product category, with no region or channel: the plans a manager sets here. Plans of other shapes
(a half-year, a region) still count for the metrics but are not cells of this grid.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from crm.filters import MAX_ID
from history.actor import acting_as
from people.models import Team
from people.names import display_name
from people.visibility import REPS_GROUP, is_admin, is_manager_or_admin, visible_people
from sales.models import Product, SalesPlan

MONTH, QUARTER, YEAR = "month", "quarter", "year"
GRANULARITIES = (MONTH, QUARTER, YEAR)
REP, TEAM = SalesPlan.Scope.REP.value, SalesPlan.Scope.TEAM.value
LEVELS = (REP, TEAM)
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date
    label: str


def _month(year: int, month: int) -> Period:
    start = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return Period(start, following - datetime.timedelta(days=1), start.strftime("%Y-%m"))


def _quarter(year: int, quarter: int) -> Period:
    first = _month(year, quarter * 3 - 2)
    last = _month(year, quarter * 3)
    label = _("%(year)s Q%(quarter)s") % {"year": year, "quarter": quarter}
    return Period(first.start, last.end, label)


@dataclass(frozen=True)
class Window:
    """The columns shown: the months of a quarter or of a year, the quarters of a year, or a year."""

    granularity: str
    year: int
    quarter: int | None = None  # only for months: None shows the twelve months of the year

    @property
    def periods(self) -> tuple[Period, ...]:
        if self.granularity == MONTH:
            months = range(self.quarter * 3 - 2, self.quarter * 3 + 1) if self.quarter else range(1, 13)
            return tuple(_month(self.year, m) for m in months)
        if self.granularity == QUARTER:
            return tuple(_quarter(self.year, q) for q in range(1, 5))
        return (Period(datetime.date(self.year, 1, 1), datetime.date(self.year, 12, 31), str(self.year)),)

    @property
    def label(self) -> str:
        if self.granularity == MONTH and self.quarter:
            return _("%(year)s Q%(quarter)s") % {"year": self.year, "quarter": self.quarter}
        return str(self.year)

    def following(self) -> "Window":
        """The window right after this one, with as many periods: copy forward writes into it."""
        if self.granularity == MONTH and self.quarter:
            if self.quarter == 4:
                return Window(MONTH, self.year + 1, 1)
            return Window(MONTH, self.year, self.quarter + 1)
        return Window(self.granularity, self.year + 1, self.quarter)

    def preceding(self) -> "Window":
        if self.granularity == MONTH and self.quarter:
            if self.quarter == 1:
                return Window(MONTH, self.year - 1, 4)
            return Window(MONTH, self.year, self.quarter - 1)
        return Window(self.granularity, self.year - 1, self.quarter)

    def params(self) -> dict[str, str]:
        return {"period": self.granularity, "year": str(self.year), "quarter": str(self.quarter or "")}


def _int_in(value, low: int, high: int) -> int | None:
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 4:
        return None
    number = int(text)
    return number if low <= number <= high else None


def window_from(params, today: datetime.date) -> Window:
    """The window a query string asks for; anything missing or odd falls back to today's quarter."""
    granularity = params.get("period") if params.get("period") in GRANULARITIES else MONTH
    year = _int_in(params.get("year"), FIRST_YEAR, LAST_YEAR) or today.year
    quarter = None
    if granularity == MONTH:
        asked = params.get("quarter")
        # No quarter asked for means today's; an empty one means the whole year.
        quarter = (today.month - 1) // 3 + 1 if asked is None else _int_in(asked, 1, 4)
    return Window(granularity, year, quarter)


def level_from(params) -> str:
    return params.get("level") if params.get("level") in LEVELS else REP


def category_from(params) -> str:
    return str(params.get("category") or "").strip()[:100]


def period_from(params) -> Period | None:
    """The period of one cell, from its ``start`` and ``end``: a month, quarter or year exactly."""
    try:
        start = datetime.date.fromisoformat(str(params.get("start", "")))
        end = datetime.date.fromisoformat(str(params.get("end", "")))
    except ValueError:
        return None
    if not FIRST_YEAR <= start.year <= LAST_YEAR or start.day != 1:
        return None
    candidates = [_month(start.year, start.month), Window(YEAR, start.year).periods[0]]
    if start.month % 3 == 1:
        candidates.append(_quarter(start.year, start.month // 3 + 1))
    return next((p for p in candidates if (p.start, p.end) == (start, end)), None)


# Who the rows are -----------------------------------------------------------------------------


def plannable_reps(user):
    """The people ``user`` sets rep plans for: every team member or rep for an admin, the members of
    the teams a manager manages."""
    User = get_user_model()
    people = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    if is_admin(user):
        return people.filter(Q(sales_teams__isnull=False) | Q(groups__name=REPS_GROUP)).distinct()
    return people.filter(sales_teams__in=Team.objects.managed_by(user)).distinct()


def plannable_teams(user):
    return Team.objects.all() if is_admin(user) else Team.objects.managed_by(user).order_by("name")


def _rows(user, level: str) -> tuple[list, bool]:
    """The row objects and whether the user may edit them (reps read their own plans only)."""
    planner = is_manager_or_admin(user)
    if level == TEAM:
        teams = plannable_teams(user) if planner else Team.objects.filter(members=user)
        return list(teams.only("pk", "name")), planner
    if planner:
        return list(plannable_reps(user).only("pk", "username", "first_name", "last_name")), True
    return [user], False


def rep_for_planning(user, rep_id: int):
    """The rep whose cell ``user`` asks to change: 404 if hidden or not theirs to plan, 403 for a rep."""
    rep = visible_people(user).filter(pk=rep_id).first() if rep_id <= MAX_ID else None
    if rep is None:
        raise Http404
    if not is_manager_or_admin(user):
        raise PermissionDenied
    if not plannable_reps(user).filter(pk=rep.pk).exists():
        raise Http404
    return rep


def team_for_planning(user, team_id: int) -> Team:
    team = Team.objects.visible_to(user).filter(pk=team_id).first() if team_id <= MAX_ID else None
    if team is None:
        raise Http404
    if not is_manager_or_admin(user):
        raise PermissionDenied
    if not plannable_teams(user).filter(pk=team.pk).exists():
        raise Http404
    return team


# The grid -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    level: str
    target_pk: int
    period: Period
    category: str
    plan: SalesPlan | None
    editable: bool
    window: "Window | None" = None

    @property
    def dom_id(self) -> str:
        return f"plan-{self.level}-{self.target_pk}-{self.period.start:%Y%m%d}-{self.period.end:%Y%m%d}"

    @property
    def url(self) -> str:
        return cell_url(self.level, self.target_pk, self.period, self.category, self.window)


@dataclass(frozen=True)
class Totals:
    revenue: Decimal | None = None
    activities: int | None = None

    def __add__(self, other: "Totals") -> "Totals":
        def plus(a, b):
            return b if a is None else a if b is None else a + b

        return Totals(plus(self.revenue, other.revenue), plus(self.activities, other.activities))

    @classmethod
    def of(cls, plan: SalesPlan | None) -> "Totals":
        return cls() if plan is None else cls(plan.revenue_quota, plan.activities_quota)


@dataclass(frozen=True)
class GridRow:
    level: str
    pk: int
    label: str
    cells: list[Cell]
    total: Totals

    @property
    def total_id(self) -> str:
        return f"plan-total-{self.level}-{self.pk}"


@dataclass(frozen=True)
class Column:
    period: Period
    total: Totals

    @property
    def total_id(self) -> str:
        return f"plan-total-{self.period.start:%Y%m%d}-{self.period.end:%Y%m%d}"


@dataclass(frozen=True)
class Grid:
    window: Window
    level: str
    category: str
    editable: bool
    rows: list[GridRow]
    columns: list[Column] = field(default_factory=list)
    total: Totals = field(default_factory=Totals)

    @property
    def planned(self) -> int:
        return sum(1 for row in self.rows for cell in row.cells if cell.plan is not None)


def cell_url(level: str, pk: int, period: Period, category: str, window: Window | None = None) -> str:
    name = "sales:plan_rep_cell" if level == REP else "sales:plan_team_cell"
    query = {"start": period.start.isoformat(), "end": period.end.isoformat(), "category": category}
    if window is not None:
        query.update(window.params())
    return f"{reverse(name, args=[pk])}?{urlencode(query)}"


def _cell_plans(level: str, category: str):
    """Plans that are cells: of a rep or a team, for one category, without region or channel."""
    return SalesPlan.objects.filter(scope=level, product_category=category, region="", channel="")


def _target_field(level: str) -> str:
    return "rep_id" if level == REP else "team_id"


def build_grid(user, window: Window, level: str, category: str) -> Grid:
    # Queries: the rows (people or teams), then the plans of their cells in the window.
    targets, editable = _rows(user, level)
    periods = window.periods
    plans = (
        _cell_plans(level, category)
        .visible_to(user)
        .filter(
            **{f"{_target_field(level)}__in": [t.pk for t in targets]},
            period_start__gte=periods[0].start,
            period_end__lte=periods[-1].end,
        )
        .order_by("pk")
    )
    by_cell = {}
    for plan in plans:
        by_cell.setdefault((getattr(plan, _target_field(level)), plan.period_start, plan.period_end), plan)
    rows = []
    for target in targets:
        label = target.name if level == TEAM else display_name(target)
        cells = [
            Cell(level, target.pk, p, category, by_cell.get((target.pk, p.start, p.end)), editable, window)
            for p in periods
        ]
        total = sum((Totals.of(c.plan) for c in cells), Totals())
        rows.append(GridRow(level, target.pk, label, cells, total))
    columns = [
        Column(p, sum((Totals.of(row.cells[i].plan) for row in rows), Totals()))
        for i, p in enumerate(periods)
    ]
    grand = sum((c.total for c in columns), Totals())
    return Grid(window, level, category, editable, rows, columns, grand)


def categories(user) -> list[str]:
    """The product categories to plan by: the catalogue's, and any already used by a plan."""
    from_products = Product.objects.exclude(category="").order_by().values_list("category", flat=True)
    from_plans = (
        SalesPlan.objects.exclude(product_category="").order_by().values_list("product_category", flat=True)
    )
    return sorted(set(from_products.union(from_plans)))


# Writing --------------------------------------------------------------------------------------


def find_cell_plan(level: str, target, period: Period, category: str) -> SalesPlan | None:
    return (
        _cell_plans(level, category)
        .filter(**{_target_field(level): target.pk}, period_start=period.start, period_end=period.end)
        .order_by("pk")
        .first()
    )


def _plan_name(level: str, target, period: Period, category: str) -> str:
    who = target.name if level == TEAM else display_name(target)
    parts = [who, period.label] + ([category] if category else [])
    return " · ".join(parts)[:200]


@transaction.atomic
def set_cell_plan(
    *,
    level: str,
    target,
    period: Period,
    category: str,
    revenue_quota: Decimal | None,
    activities_quota: int | None,
    target_ratio: Decimal,
    activity_ratio: Decimal,
    by,
) -> SalesPlan:
    """Create or change the plan of one cell; the change history records who set what."""
    plan = find_cell_plan(level, target, period, category)
    if plan is None:
        plan = SalesPlan(
            name=_plan_name(level, target, period, category),
            scope=level,
            period_start=period.start,
            period_end=period.end,
            product_category=category,
            **{_target_field(level): target.pk},
        )
    plan.revenue_quota = revenue_quota
    plan.activities_quota = activities_quota
    plan.target_ratio = target_ratio
    plan.activity_ratio = activity_ratio
    with acting_as(by):
        plan.save()
    return plan


@dataclass(frozen=True)
class CopyResult:
    copied: int
    skipped: int
    into: Window


@transaction.atomic
def copy_forward(*, window: Window, level: str, category: str, by) -> CopyResult:
    """Copy the plans of ``window``'s cells to the same cells of the following window.

    A cell of the following window that already has a plan keeps it: copying never overwrites a
    target someone set.
    """
    targets, editable = _rows(by, level)
    if not editable:
        raise PermissionDenied
    into = window.following()
    shift = dict(zip(window.periods, into.periods, strict=True))
    field_name = _target_field(level)
    ids = [t.pk for t in targets]
    names = {t.pk: t for t in targets}
    source = _cell_plans(level, category).filter(
        **{f"{field_name}__in": ids},
        period_start__gte=window.periods[0].start,
        period_end__lte=window.periods[-1].end,
    )
    taken = set(
        _cell_plans(level, category)
        .filter(
            **{f"{field_name}__in": ids},
            period_start__gte=into.periods[0].start,
            period_end__lte=into.periods[-1].end,
        )
        .values_list(field_name, "period_start", "period_end")
    )
    copied = skipped = 0
    with acting_as(by):
        for plan in source.order_by("pk"):
            period = next(
                (p for p in window.periods if (p.start, p.end) == (plan.period_start, plan.period_end)), None
            )
            if period is None:
                continue
            new = shift[period]
            key = (getattr(plan, field_name), new.start, new.end)
            if key in taken:
                skipped += 1
                continue
            taken.add(key)
            SalesPlan(
                name=_plan_name(level, names[key[0]], new, category),
                scope=level,
                period_start=new.start,
                period_end=new.end,
                product_category=category,
                target_ratio=plan.target_ratio,
                activity_ratio=plan.activity_ratio,
                revenue_quota=plan.revenue_quota,
                activities_quota=plan.activities_quota,
                **{field_name: key[0]},
            ).save()
            copied += 1
    return CopyResult(copied, skipped, into)
