"""Every metric against a small data set computed by hand (the figures are in the comments)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from sales.actions import create_deal
from sales.metrics import (
    Scope,
    activity_summary,
    attainment,
    candidate_plans,
    choose_plan,
    compute_indicators,
    deal_summary,
    forecast,
    funnel,
    indicators_for,
    leaderboard,
    overview,
    rep_plans,
    risk_counts,
    risk_list,
    sales_cycle,
    time_in_stage,
    visible_sources,
    won_trend,
)
from sales.models import Stage
from tests.factories import ActivityFactory, CustomerFactory, SalesPlanFactory, lost_reason

D = Decimal
Q1 = Scope(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 3, 31))
TODAY = datetime.date(2025, 2, 14)


def at(month: int, day: int, year: int = 2025) -> datetime.datetime:
    return datetime.datetime(year, month, day, 10, tzinfo=timezone.get_current_timezone())


def stage(key: str) -> Stage:
    return Stage.objects.get(key=key)


def make_deal(owner, customer, amount, opened, moves=(), *, lost=None, expected=None):
    """A deal opened at ``opened`` (a datetime) and moved through ``moves`` [(stage key, datetime)]."""
    deal = create_deal(
        customer=customer,
        title=f"{customer.name} {amount}",
        owner=owner,
        by=owner,
        amount=D(amount),
        opened_on=opened.date(),
        expected_close=expected,
        at=opened,
    )
    for key, when in moves:
        deal.move_to(stage(key), by=owner, at=when)
    if lost:
        deal.mark_lost(lost_reason(), note="Price", by=owner, on=lost.date(), at=lost)
    return deal


def test_compute_indicators_gives_the_seed_example():
    values = [10, 20, 30, 40, 50]
    result = compute_indicators(values, values, target_ratio=D("0.5"), activity_ratio=D("0.6"))
    assert (result.need, result.target, result.activity_plan, result.execution) == (30, 15, 9, 30)
    assert result.effectiveness == 200


@pytest.mark.parametrize(
    "needs, executions, m, p, missing",
    [
        ([], [10], D("0.5"), D("0.6"), {"need", "target", "activity_plan", "effectiveness"}),
        ([10], [], D("0.5"), D("0.6"), {"execution", "effectiveness"}),
        ([10], [10], None, None, {"target", "activity_plan", "effectiveness"}),
        ([10], [10], D("0"), D("0.6"), {"effectiveness"}),
        ([None, None], [10], D("0.5"), D("0.6"), {"need", "target", "activity_plan", "effectiveness"}),
    ],
    ids=["no customers", "no records", "no plan", "zero target", "needs unknown"],
)
def test_compute_indicators_says_not_available_instead_of_failing(needs, executions, m, p, missing):
    result = compute_indicators(needs, executions, target_ratio=m, activity_ratio=p)
    assert {name for name, value in vars(result).items() if value is None} == missing


def test_compute_indicators_rounds_money_to_the_cent_once():
    # R = 100/3 = 33.333..; T = R x 0.5 = 16.666.. -> 16.67 (not 33.33 x 0.5 = 16.665 -> 16.66 or .67)
    result = compute_indicators([10, 20, 70], [1], target_ratio=D("0.5"), activity_ratio=D("0.3"))
    assert result.need == D("33.33")
    assert result.target == D("16.67")
    assert result.activity_plan == D("5.00")
    assert result.effectiveness == D("6.00")


@pytest.fixture
def book(db, manager, rep, other_rep, team, other_team):
    """The hand-computed data set; ``rep`` is in the manager's team, ``other_rep`` is not."""
    c1 = CustomerFactory(owner=rep, need=D("100"), region="North", channel="Referral")
    c2 = CustomerFactory(owner=rep, need=D("300"), region="South", channel="Web")
    CustomerFactory(owner=rep, need=None)
    c4 = CustomerFactory(owner=other_rep, need=D("1000"), region="East", channel="Partner")
    d1 = make_deal(
        rep, c1, "1000", at(1, 5), [("understand", at(1, 10)), ("choose", at(1, 15)), ("buy", at(1, 20))]
    )
    d2 = make_deal(
        rep, c2, "3000", at(1, 10), [("understand", at(1, 12)), ("choose", at(1, 15)), ("buy", at(2, 9))]
    )
    d3 = make_deal(rep, c1, "500", at(2, 1), lost=at(2, 11))
    d4 = make_deal(rep, c2, "2000", at(2, 1), [("understand", at(2, 5))], expected=datetime.date(2025, 3, 1))
    d4.apply_edit({"expected_close": datetime.date(2025, 3, 15)}, version=d4.version)
    d5 = make_deal(rep, c1, "400", at(12, 1, 2024), expected=datetime.date(2025, 2, 10))
    make_deal(other_rep, c4, "9999", at(1, 3), [("buy", at(1, 13))])
    ActivityFactory(owner=rep, customer=c2, deal=d4, kind="call", due_at=at(2, 1), done_at=at(2, 1))
    ActivityFactory(owner=rep, customer=c2, deal=d4, kind="meeting", due_at=at(2, 20))
    ActivityFactory(owner=rep, customer=c1, deal=d1, kind="email", done_at=at(1, 15))
    ActivityFactory(owner=rep, customer=c1, deal=d1, kind="call", due_at=at(4, 10))
    ActivityFactory(owner=other_rep, customer=c4, kind="call", done_at=at(2, 2))
    company = SalesPlanFactory(
        name="Q1",
        period_start=Q1.start,
        period_end=Q1.end,
        revenue_quota=D("10000"),
        activities_quota=10,
    )
    SalesPlanFactory(
        name="Q1 rep",
        scope="rep",
        rep=rep,
        period_start=Q1.start,
        period_end=Q1.end,
        target_ratio=D("2"),
        revenue_quota=D("8000"),
    )
    return {"deals": [d1, d2, d3, d4, d5], "company": company}


@pytest.fixture
def seen(book, manager):
    return visible_sources(manager)


def test_deal_summary_counts_won_and_lost_by_closed_on_and_open_deals_as_they_stand(seen):
    s = deal_summary(seen, Q1)
    # won: 1000 + 3000; lost: d3; open: d4 (2000 at 25 %) and d5 (400 at 10 %)
    assert (s.won_revenue, s.deals_won, s.deals_lost) == (D("4000.00"), 2, 1)
    assert s.win_rate == D("0.6667")
    assert s.average_won == D("2000.00")
    assert (s.open_deals, s.open_amount, s.weighted_amount) == (2, D("2400.00"), D("540.00"))


def test_it_ignores_deals_closed_outside_the_period(seen):
    s = deal_summary(seen, Scope(start=datetime.date(2025, 2, 1), end=datetime.date(2025, 2, 28)))
    assert (s.won_revenue, s.deals_won, s.deals_lost) == (D("3000.00"), 1, 1)


def test_sales_cycle_takes_the_mean_and_median_of_won_deals(seen):
    cycle = sales_cycle(seen, Q1)
    # d1: Jan 5 -> Jan 20 = 15 days; d2: Jan 10 -> Feb 9 = 30 days
    assert (cycle.deals, cycle.mean_days, cycle.median_days) == (2, D("22.5"), D("22.5"))


def test_sales_cycle_median_is_the_middle_value_of_an_odd_count(seen, rep):
    customer = CustomerFactory(owner=rep)
    make_deal(rep, customer, "1", at(3, 1), [("buy", at(3, 2))])  # 1 day
    cycle = sales_cycle(seen, Q1)
    # 1, 15, 30 -> median 15, mean 46 / 3 = 15.33
    assert (cycle.mean_days, cycle.median_days) == (D("15.3"), D("15.0"))


def test_indicators_over_a_scope_use_the_covering_plan(seen, book):
    report = indicators_for(seen, Q1, book["company"])
    # R = (100 + 300) / 2 (the customer without a need is left out), T = 200 x 0.5, A = 100 x 0.6,
    # E = (1000 + 3000) / 2 (d1 and d2's sales records), F = 2000 / 100 = 2000 %
    i = report.indicators
    assert (i.need, i.target, i.activity_plan, i.execution) == (200, 100, 60, 2000)
    assert i.effectiveness == 2000
    assert (report.customers, report.records) == (2, 2)


def test_customers_are_filtered_by_region_and_channel_but_not_by_period(seen, book):
    later = Scope(start=datetime.date(2030, 1, 1), end=datetime.date(2030, 1, 31), region="South")
    report = indicators_for(seen, later, book["company"])
    assert report.indicators.need == 300
    assert report.indicators.execution is None
    assert report.indicators.effectiveness is None


def test_the_most_specific_plan_wins(seen, rep, team):
    SalesPlanFactory(scope="team", team=team, period_start=Q1.start, period_end=Q1.end, name="team")
    SalesPlanFactory(period_start=Q1.start, period_end=Q1.end, region="North", name="north")

    def pick(**filters):
        scope = Scope(Q1.start, Q1.end, **filters)
        return choose_plan(candidate_plans(seen.plans, scope), scope).name

    assert pick() == "Q1"
    assert pick(region="North") == "north"
    assert pick(team_id=team.pk) == "team"
    assert pick(team_id=team.pk, owner_id=rep.pk) == "Q1 rep"


def test_no_plan_covers_a_period_that_spills_over_it(seen):
    scope = Scope(start=datetime.date(2025, 3, 1), end=datetime.date(2025, 4, 30))
    assert choose_plan(candidate_plans(seen.plans, scope), scope) is None
    report = indicators_for(seen, scope, None)
    assert report.indicators.target is None
    assert report.indicators.effectiveness is None


def test_attainment_and_pace_against_the_quota(book):
    result = attainment(D("4000.00"), book["company"].revenue_quota, Q1, TODAY)
    # 4000 / 10000; 45 of 90 days gone by Feb 14 -> pace 0.4 / 0.5
    assert (result.attainment, result.elapsed, result.pace) == (D("0.4"), D("0.5"), D("0.8"))


def test_attainment_without_a_quota_or_before_the_period_is_not_available(book):
    assert attainment(D("1"), None, Q1, TODAY).attainment is None
    early = attainment(D("1"), book["company"].revenue_quota, Q1, datetime.date(2024, 12, 1))
    assert early.elapsed == 0
    assert early.pace is None


def test_forecast_groups_open_deals_by_expected_close_month_beside_the_quota(seen, book):
    result = forecast(seen, Q1, book["company"])
    months = [(m.month.month, m.deals, m.amount, m.weighted, m.target) for m in result.months]
    # quota 10000 spread over 90 days: January 31 days, February 28, March 31
    assert months == [
        (1, 0, D("0.00"), D("0.00"), D("3444.44")),
        (2, 1, D("400.00"), D("40.00"), D("3111.11")),
        (3, 1, D("2000.00"), D("500.00"), D("3444.44")),
    ]
    assert (result.amount, result.weighted, result.deals) == (D("2400.00"), D("540.00"), 2)


def test_won_trend_covers_twelve_months_ending_with_the_period(seen):
    trend = won_trend(seen, Q1)
    assert len(trend.months) == 12
    assert trend.months[0] == datetime.date(2024, 4, 1)
    assert trend.months[-1] == datetime.date(2025, 3, 1)
    assert trend.values[-3:] == (D("1000.00"), D("3000.00"), D("0.00"))
    assert sum(trend.values) == D("4000.00")


def test_funnel_counts_deals_opened_in_the_period_that_reached_each_stage(seen):
    steps = funnel(seen, Q1, list(Stage.objects.all()))
    # opened in Q1: d1, d2, d3, d4 (d5 opened in December)
    assert [(s.key, s.reached) for s in steps] == [("lead", 4), ("understand", 3), ("choose", 2), ("buy", 2)]
    assert [s.conversion for s in steps] == [None, D("0.75"), D("0.6667"), D("1")]


def test_time_in_stage_averages_the_stays_of_deals_opened_in_the_period(seen):
    times = {t.key: t for t in time_in_stage(seen, Q1, list(Stage.objects.all()))}
    # lead: d1 5, d2 2, d3 10 (then lost), d4 4 days -> 5.25; understand: 5, 3; choose: 5, 25
    assert (times["lead"].stays, times["lead"].mean_days) == (4, D("5.3"))
    assert times["understand"].mean_days == D("4.0")
    assert times["choose"].mean_days == D("15.0")
    assert (times["buy"].stays, times["buy"].mean_days) == (0, None)


def test_activities_done_against_planned_by_type(seen, book):
    result = activity_summary(seen, Q1, book["company"])
    rows = {r.kind: (r.planned, r.done) for r in result.rows}
    # planned = due in Q1; done = done in Q1; the April call is outside; other_rep's call is not seen
    assert rows == {"call": (1, 1), "meeting": (1, 0), "email": (0, 1), "task": (0, 0), "note": (0, 0)}
    assert (result.planned, result.done, result.quota, result.attainment) == (2, 2, 10, D("0.2"))


def test_risk_lists_stale_overdue_and_slipped_deals(seen, book):
    counts = risk_counts(seen, Q1, today=TODAY, stale_days=14)
    # d5: opened in December, no activity, expected Feb 10 -> stale and overdue; d4: pushed back
    assert (counts.stale, counts.overdue, counts.slipped, counts.at_risk) == (1, 1, 1, 2)
    rows = risk_list(seen, Q1, today=TODAY, stale_days=14)
    d4, d5 = book["deals"][3], book["deals"][4]
    assert [(r.deal.pk, r.stale, r.overdue, r.slipped) for r in rows] == [
        (d4.pk, False, False, True),
        (d5.pk, True, True, False),
    ]


def test_a_recent_activity_on_a_deal_keeps_it_from_going_stale(seen, book, rep):
    ActivityFactory(owner=rep, deal=book["deals"][4], customer=None, done_at=at(2, 10))
    assert risk_counts(seen, Q1, today=TODAY, stale_days=14).stale == 0


def test_leaderboard_ranks_reps_with_their_own_plan_quota(admin_user, book, rep, other_rep):
    seen = visible_sources(admin_user)
    plans = candidate_plans(seen.plans, Q1)
    rows = leaderboard(seen, Q1, rep_plans(plans, Q1))
    assert [(r.owner_id, r.won_revenue, r.deals_won, r.deals_lost) for r in rows] == [
        (other_rep.pk, D("9999.00"), 1, 0),
        (rep.pk, D("4000.00"), 2, 1),
    ]
    mine = rows[1]
    assert (mine.win_rate, mine.activities_done, mine.quota, mine.attainment) == (
        D("0.6667"),
        2,
        D("8000.00"),
        D("0.5"),
    )
    assert rows[0].quota is None and rows[0].attainment is None


def test_the_manager_sees_only_the_team(seen, rep):
    rows = leaderboard(seen, Q1, {})
    assert [r.owner_id for r in rows] == [rep.pk]


def test_filters_narrow_deals_by_region_channel_and_team(admin_user, book, team, other_team):
    seen = visible_sources(admin_user)
    assert deal_summary(seen, Scope(Q1.start, Q1.end, region="South")).deals_won == 1  # d2
    assert deal_summary(seen, Scope(Q1.start, Q1.end, channel="Referral")).won_revenue == D("1000.00")
    assert deal_summary(seen, Scope(Q1.start, Q1.end, team_id=team.pk)).won_revenue == D("4000.00")
    assert deal_summary(seen, Scope(Q1.start, Q1.end, team_id=other_team.pk)).won_revenue == D("9999.00")


def test_overview_puts_it_all_together(seen):
    result = overview(seen, Q1, today=TODAY, stale_days=14)
    assert result.has_data
    assert result.plan.name == "Q1"
    assert result.indicators.indicators.target == 100
    assert result.attainment.attainment == D("0.4")


def test_overview_of_an_empty_database_says_not_available(db, manager, team):
    result = overview(visible_sources(manager), Q1, today=TODAY, stale_days=14)
    assert not result.has_data
    assert result.summary.win_rate is None
    assert result.summary.average_won is None
    assert result.cycle.median_days is None
    assert result.indicators.indicators == compute_indicators([], [], target_ratio=None, activity_ratio=None)


def test_text_filters_ignore_case_like_the_lists_do(seen):
    assert deal_summary(seen, Scope(Q1.start, Q1.end, region="south")).deals_won == 1
    assert deal_summary(seen, Scope(Q1.start, Q1.end, channel="REFERRAL")).won_revenue == D("1000.00")
