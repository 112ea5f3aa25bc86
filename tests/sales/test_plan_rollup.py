"""Plans add up: hand-computed quotas over month, quarter, year and custom ranges (docs/metrics.md)."""

import datetime
import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sales.metrics import Scope
from sales.metrics.plans import ACTIVITIES, PlanRow, monthly, rep_quotas, rollup

D = datetime.date
_ids = itertools.count(1)


def plan(start, end, quota=None, *, scope="company", team=None, rep=None, category="", teams=(), acts=None):
    return PlanRow(
        pk=next(_ids),
        name="p",
        scope=scope,
        team_id=team,
        rep_id=rep,
        period_start=start,
        period_end=end,
        target_ratio=Decimal("0.5"),
        activity_ratio=Decimal("0.6"),
        revenue_quota=None if quota is None else Decimal(quota),
        activities_quota=acts,
        product_category=category,
        rep_teams=frozenset(teams),
    )


Q2 = (D(2025, 4, 1), D(2025, 6, 30))  # 91 days
YEAR = Scope(D(2025, 1, 1), D(2025, 12, 31))


def test_a_quarterly_plan_viewed_by_month_is_its_share_of_days():
    rows = [plan(*Q2, "9100")]
    # April has 30 of the quarter's 91 days: 9100 × 30 / 91 = 3000; May 31 days = 3100.
    assert rollup(rows, Scope(D(2025, 4, 1), D(2025, 4, 30))).total == Decimal("3000.00")
    assert rollup(rows, Scope(D(2025, 5, 1), D(2025, 5, 31))).total == Decimal("3100.00")
    figure = rollup(rows, Scope(D(2025, 4, 1), D(2025, 4, 30)))
    assert (figure.plans, figure.prorated, figure.lengths()) == (1, 1, {"quarter": 1})


def test_a_quarterly_plan_viewed_by_a_ten_day_range():
    rows = [plan(*Q2, "1000")]
    # 1000 × 10 / 91 = 109.8901… → 109.89
    assert rollup(rows, Scope(D(2025, 6, 21), D(2025, 7, 10))).total == Decimal("109.89")
    assert rollup(rows, Scope(D(2025, 5, 3), D(2025, 5, 12))).total == Decimal("109.89")


def test_four_quarters_viewed_as_a_year_add_up_without_proration():
    rows = [
        plan(D(2025, 1, 1), D(2025, 3, 31), "100"),
        plan(D(2025, 4, 1), D(2025, 6, 30), "200"),
        plan(D(2025, 7, 1), D(2025, 9, 30), "300"),
        plan(D(2025, 10, 1), D(2025, 12, 31), "400.01"),
    ]
    figure = rollup(rows, YEAR)
    assert figure.total == Decimal("1000.01")
    assert (figure.plans, figure.prorated, figure.lengths()) == (4, 0, {"quarter": 4})


def test_rounding_happens_once_at_the_end():
    # Three plans of 1.00 over three days, one day each seen: 3 × 1/3 = 1.00, not 3 × 0.33 = 0.99.
    rows = [plan(D(2025, 1, 1), D(2025, 1, 3), "1", category=c) for c in ("a", "b", "c")]
    assert rollup(rows, Scope(D(2025, 1, 2), D(2025, 1, 2))).total == Decimal("1.00")


def monthly_category_plans():
    rows = []
    for month in range(1, 13):
        start = D(2025, month, 1)
        end = D(2025 + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)
        rows.append(plan(start, end, str(100 * month), category="Hardware"))
        rows.append(plan(start, end, "50", category="Services"))
    return rows


def test_monthly_category_plans_viewed_as_a_year_with_and_without_a_filter():
    rows = monthly_category_plans()
    hardware = sum(100 * m for m in range(1, 13))  # 7800
    assert rollup(rows, Scope(YEAR.start, YEAR.end, category="hardware")).total == Decimal(hardware)
    assert rollup(rows, Scope(YEAR.start, YEAR.end, category="Services")).total == Decimal(600)
    assert rollup(rows, YEAR).total == Decimal(hardware + 600)
    assert rollup(rows, Scope(YEAR.start, YEAR.end, category="Other")).total is None


def test_an_all_category_plan_wins_over_category_plans_on_its_days_only():
    rows = monthly_category_plans() + [plan(D(2025, 1, 1), D(2025, 3, 31), "90")]
    # Q1: the all-category plan (90); April-December: the category plans (Hardware 4..12 + Services).
    expected = 90 + sum(100 * m for m in range(4, 13)) + 9 * 50
    assert rollup(rows, YEAR).total == Decimal(expected)
    # The filtered view ignores the all-category plan.
    assert rollup(rows, Scope(YEAR.start, YEAR.end, category="Services")).total == Decimal(600)


def test_a_team_with_and_without_a_team_plan():
    reps = [plan(*Q2, "910", scope="rep", rep=r, teams={7}) for r in (1, 2)]
    outsider = plan(*Q2, "91", scope="rep", rep=3, teams={8})
    team_view = Scope(*Q2, team_id=7)
    assert rollup([*reps, outsider], team_view).total == Decimal("1820.00")
    team_plan = plan(D(2025, 4, 1), D(2025, 4, 30), "3000", scope="team", team=7)
    # April: the team plan (3000); May and June (61 days): the reps' 2 × 910 × 61 / 91 = 1220.
    assert rollup([*reps, outsider, team_plan], team_view).total == Decimal("4220.00")
    assert rollup([*reps, team_plan], Scope(*Q2, owner_id=1)).total == Decimal("910.00")


def test_overlapping_rep_and_team_plans_are_counted_once_in_the_company():
    reps = [plan(*Q2, "910", scope="rep", rep=r, teams={7}) for r in (1, 2)]
    loner = plan(*Q2, "182", scope="rep", rep=3)
    team_plan = plan(*Q2, "2000", scope="team", team=7)
    # The team plan stands for reps 1 and 2; rep 3 is in no team: 2000 + 182.
    assert rollup([*reps, loner, team_plan], Scope(*Q2)).total == Decimal("2182.00")
    # Without the team plan every rep plan counts once.
    assert rollup([*reps, loner], Scope(*Q2)).total == Decimal("2002.00")
    # A company plan covering May wins there: April and June from below, May from the company plan.
    company = plan(D(2025, 5, 1), D(2025, 5, 31), "5000")
    expected = Decimal(2182) * 60 / 91 + 5000
    assert rollup([*reps, loner, team_plan, company], Scope(*Q2)).total == expected.quantize(Decimal("0.01"))


def test_a_shorter_plan_of_the_same_rep_replaces_the_longer_one_on_its_days():
    quarter = plan(*Q2, "9100", scope="rep", rep=1)
    april = plan(D(2025, 4, 1), D(2025, 4, 30), "500", scope="rep", rep=1)
    assert rollup([quarter, april], Scope(*Q2, owner_id=1)).total == Decimal(500 + 6100)


def test_the_activities_quota_follows_the_same_rule_rounded_to_whole_activities():
    rows = [plan(*Q2, acts=100, scope="rep", rep=r, teams={7}) for r in (1, 2)]
    # April: 2 × 100 × 30 / 91 = 65.93 → 66
    april = Scope(D(2025, 4, 1), D(2025, 4, 30), team_id=7)
    assert rollup(rows, april, ACTIVITIES).total == 66
    assert rollup(rows, april).total is None  # no revenue quota in these plans
    rows.append(plan(*Q2, acts=150, scope="team", team=7))
    assert rollup(rows, april, ACTIVITIES).total == 49  # 150 × 30 / 91 = 49.45


def test_monthly_targets_and_rep_quotas():
    rows = [plan(*Q2, "9100", scope="rep", rep=1), plan(*Q2, "910", scope="rep", rep=2)]
    months = [D(2025, 4, 1), D(2025, 5, 1), D(2025, 6, 1)]
    assert monthly(rows, Scope(*Q2), months) == [Decimal("3300.00"), Decimal("3410.00"), Decimal("3300.00")]
    assert rep_quotas(rows, Scope(*Q2), [1, 2, 3]) == {1: Decimal("9100.00"), 2: Decimal("910.00"), 3: None}


def test_region_plans_count_only_in_a_view_of_that_region():
    regional = PlanRow(**{**plan(*Q2, "500").__dict__, "region": "North"})
    assert rollup([regional], Scope(*Q2)).total is None
    assert rollup([regional], Scope(*Q2, region="north")).total == Decimal("500.00")


days = st.integers(min_value=0, max_value=729)
BASE = D(2025, 1, 1)


@st.composite
def plan_sets(draw):
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        a, b = sorted((draw(days), draw(days)))
        rows.append(
            plan(
                BASE + datetime.timedelta(days=a),
                BASE + datetime.timedelta(days=b),
                str(draw(st.integers(0, 10**7))),
                scope=draw(st.sampled_from(["company", "team", "rep"])),
                team=7,
                rep=1,
                teams={7},
                category=draw(st.sampled_from(["", "A", "B"])),
            )
        )
    for row in rows:
        if row.scope != "team":
            object.__setattr__(row, "team_id", None)
        if row.scope != "rep":
            object.__setattr__(row, "rep_id", None)
    return rows


@settings(max_examples=60, deadline=None)
@given(plan_sets(), st.lists(days, max_size=8), st.sampled_from([{}, {"team_id": 7}, {"owner_id": 1}]))
def test_the_parts_of_a_period_add_up_to_the_whole_within_rounding(rows, cuts, level):
    start, end = BASE, BASE + datetime.timedelta(days=729)
    edges = sorted(
        {start, *(BASE + datetime.timedelta(days=c) for c in cuts if c), end + datetime.timedelta(days=1)}
    )
    parts = [
        rollup(rows, Scope(lo, hi - datetime.timedelta(days=1), **level)).total or Decimal(0)
        for lo, hi in zip(edges, edges[1:], strict=False)
    ]
    whole = rollup(rows, Scope(start, end, **level)).total or Decimal(0)
    assert abs(sum(parts) - whole) <= Decimal("0.005") * len(parts)


@settings(max_examples=60, deadline=None)
@given(plan_sets())
def test_the_unfiltered_view_equals_the_categories_where_no_all_category_plan_exists(rows):
    rows = [r for r in rows if r.product_category]
    whole = rollup(rows, Scope(BASE, BASE + datetime.timedelta(days=729)))
    by_category = [
        rollup(rows, Scope(BASE, BASE + datetime.timedelta(days=729), category=c)).total or Decimal(0)
        for c in ("A", "B")
    ]
    assert abs((whole.total or Decimal(0)) - sum(by_category)) <= Decimal("0.01")


@pytest.mark.parametrize("quota", ["0", "0.01", "123456789.99"])
def test_a_plan_seen_whole_gives_its_quota_exactly(quota):
    assert rollup([plan(*Q2, quota)], Scope(D(2024, 1, 1), D(2026, 1, 1))).total == Decimal(quota)
