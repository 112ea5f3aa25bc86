"""Properties of the metrics that must hold for any data: totals add up, rates stay in range,
empty scopes say "not available"."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sales.metrics import Scope, compute_indicators, deal_summary, leaderboard, visible_sources
from sales.models import Deal, Stage
from tests.factories import CustomerFactory, RepFactory, TeamFactory

PERIOD = Scope(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 3, 31))
money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
ratio = st.decimals(min_value=0, max_value=10, places=4, allow_nan=False, allow_infinity=False)
# DB-backed examples are slow to build; a few well-chosen ones are enough to catch a bad sum.
db_settings = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@given(needs=st.lists(money, max_size=20), executions=st.lists(money, max_size=20), m=ratio, p=ratio)
@settings(max_examples=200, deadline=None)
def test_indicators_never_fail_and_follow_their_formulas(needs, executions, m, p):
    result = compute_indicators(needs, executions, target_ratio=m, activity_ratio=p)
    assert (result.need is None) == (not needs)
    assert (result.execution is None) == (not executions)
    if result.need is not None:
        assert min(needs) <= result.need <= max(needs)
        assert result.target is not None
        assert abs(result.target - result.need * m) <= Decimal("0.01") * (1 + m)
    if result.effectiveness is not None:
        assert result.target > 0
        assert result.execution is not None
    elif result.target is not None and result.execution is not None:
        assert result.target == 0 or result.target * 100 < Decimal("0.01")  # only T = 0 hides F


@given(needs=st.lists(money, max_size=5), m=ratio, p=ratio)
@settings(max_examples=50, deadline=None)
def test_no_plan_means_no_target_activity_plan_or_effectiveness(needs, m, p):
    result = compute_indicators(needs, [Decimal("1")], target_ratio=None, activity_ratio=p)
    assert (result.target, result.activity_plan, result.effectiveness) == (None, None, None)


# One deal: (rep index, amount, outcome, day of the quarter it closed, or of the next quarter)
deal_st = st.tuples(
    st.integers(0, 2),
    st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["open", "won", "lost"]),
    st.integers(0, 120),
)


@pytest.fixture
def crew(db):
    """Three reps in one team, each with a customer; deals are bulk-inserted per example."""
    reps = [RepFactory() for _ in range(3)]
    team = TeamFactory(members=reps)
    customers = [CustomerFactory(owner=r) for r in reps]
    stages = {s.key: s for s in Stage.objects.all()}
    return {"reps": reps, "team": team, "customers": customers, "stages": stages}


def _load(crew, deals) -> None:
    Deal.objects.all().delete()
    rows = []
    for n, (rep, amount, outcome, day) in enumerate(deals):
        closed = PERIOD.start + datetime.timedelta(days=day) if outcome != "open" else None
        stage = crew["stages"]["buy" if outcome == "won" else "lead"]
        rows.append(
            Deal(
                customer=crew["customers"][rep],
                owner=crew["reps"][rep],
                title=f"Deal {n}",
                amount=amount,
                stage=stage,
                probability=stage.default_probability,
                status=outcome,
                closed_on=closed,
                opened_on=PERIOD.start - datetime.timedelta(days=10),
            )
        )
    Deal.objects.bulk_create(rows)


@given(deals=st.lists(deal_st, max_size=12))
@db_settings
def test_per_rep_won_revenue_adds_up_to_the_teams(crew, deals):
    _load(crew, deals)
    seen = visible_sources(crew["team"].manager)
    team = Scope(PERIOD.start, PERIOD.end, team_id=crew["team"].pk)
    total = deal_summary(seen, team)
    rows = leaderboard(seen, team, {})
    assert sum((r.won_revenue for r in rows), Decimal(0)) == total.won_revenue
    assert sum(r.deals_won for r in rows) == total.deals_won
    each = [deal_summary(seen, Scope(PERIOD.start, PERIOD.end, owner_id=r.pk)) for r in crew["reps"]]
    assert sum((s.won_revenue for s in each), Decimal(0)) == total.won_revenue
    assert sum(s.deals_lost for s in each) == total.deals_lost


@given(deals=st.lists(deal_st, max_size=12))
@db_settings
def test_win_rate_stays_between_zero_and_one(crew, deals):
    _load(crew, deals)
    seen = visible_sources(crew["team"].manager)
    summary = deal_summary(seen, PERIOD)
    closed = summary.deals_won + summary.deals_lost
    if closed == 0:
        assert summary.win_rate is None
    else:
        assert 0 <= summary.win_rate <= 1
    for row in leaderboard(seen, PERIOD, {}):
        assert row.win_rate is None or 0 <= row.win_rate <= 1


@given(region=st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=20))
@db_settings
def test_an_empty_scope_says_not_available(crew, region):
    _load(crew, [(0, Decimal("10"), "won", 5), (1, Decimal("20"), "lost", 6)])
    seen = visible_sources(crew["team"].manager)
    empty = Scope(PERIOD.start, PERIOD.end, region=f"nowhere-{region}")
    summary = deal_summary(seen, empty)
    assert summary.win_rate is None
    assert summary.average_won is None
    assert summary.deals_won == summary.deals_lost == 0
    assert leaderboard(seen, empty, {}) == ()


# One sales record: (rep index, amount, product index or None, day from 20 days before the quarter)
record_st = st.tuples(
    st.integers(0, 2),
    st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([None, 0, 1]),
    st.integers(0, 130),
)


@given(records=st.lists(record_st, max_size=12))
@db_settings
def test_realised_sales_add_up_by_rep_month_and_category(crew, records):
    from sales.metrics.actuals import sales_actuals
    from sales.models import Product, SalesRecord

    products = [
        Product.objects.get_or_create(name=n, defaults={"category": c})[0]
        for n, c in (("A", "X"), ("B", "y"))
    ]
    SalesRecord.objects.all().delete()
    SalesRecord.objects.bulk_create(
        SalesRecord(
            customer=crew["customers"][rep],
            owner=crew["reps"][rep],
            amount=amount,
            product=None if product is None else products[product],
            sold_on=PERIOD.start + datetime.timedelta(days=day - 20),
        )
        for rep, amount, product, day in records
    )
    seen = visible_sources(crew["team"].manager)
    actuals = sales_actuals(seen, PERIOD)
    inside = [r for r in records if 0 <= r[3] - 20 < PERIOD.days]
    assert actuals.total == sum((r[1] for r in inside), Decimal(0))
    assert actuals.records == len(inside)
    for axis in (actuals.by_owner, actuals.by_month, actuals.by_category):
        assert sum(axis.values(), Decimal(0)) == actuals.total
    assert all(m.day == 1 and PERIOD.start <= m <= PERIOD.end for m in actuals.by_month)
