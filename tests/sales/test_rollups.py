"""The rollups give the dashboard the same figures as the raw tables, whatever was done and how.

A property test makes random sequences of verbs (open, move, win, lose, reopen, edit, log an
activity, change a customer's region, import) and after every step compares each figure the
dashboard reads from the rollups with the same figure computed from the raw rows, over periods
with whole and ragged months and with filters. A rebuild from scratch gives the same rows as the
step-by-step upkeep.
"""

import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataio.imports import Mapping, run_import
from sales import rollups
from sales.actions import create_deal
from sales.metrics import (
    Scope,
    activities_by_owner,
    deals_by_owner,
    forecast,
    lost_by_reason,
    rolled,
    sales_actuals,
    sales_cycle,
    stage_flow,
    visible_sources,
    won_trend,
)
from sales.models import Activity, Deal, LostReason, Rollup, SalesRecord, Stage
from tests.factories import AdminFactory, CustomerFactory, ProductFactory, RepFactory

REGIONS = ["North", "south", "South", ""]
STAGES = ["lead", "understand", "choose", "buy"]
START = datetime.datetime(2025, 1, 3, 9, 30, tzinfo=datetime.UTC)

SCOPES = [
    Scope(start=datetime.date(2024, 12, 1), end=datetime.date(2025, 12, 31)),
    Scope(start=datetime.date(2025, 1, 10), end=datetime.date(2025, 3, 17)),
    Scope(start=datetime.date(2025, 2, 1), end=datetime.date(2025, 2, 28)),
    Scope(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 6, 30), region="south"),
    Scope(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 6, 30), channel="web"),
    Scope(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 6, 30), category="hardware"),
]

step = st.one_of(
    st.tuples(st.just("open"), st.integers(0, 2), st.integers(0, 3), st.integers(1, 9000)),
    st.tuples(st.just("move"), st.integers(0, 20), st.sampled_from(STAGES[1:])),
    st.tuples(st.just("win"), st.integers(0, 20)),
    st.tuples(st.just("lose"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("reopen"), st.integers(0, 20), st.sampled_from(STAGES[:3])),
    st.tuples(st.just("edit"), st.integers(0, 20), st.integers(0, 2), st.integers(1, 9000)),
    st.tuples(st.just("activity"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("region"), st.integers(0, 3), st.sampled_from(REGIONS)),
    st.tuples(st.just("import"), st.integers(0, 2), st.integers(1, 9000), st.booleans()),
)


@pytest.fixture
def world(db):
    admin = AdminFactory()
    reps = [RepFactory(username=f"rollup{i}") for i in range(3)]
    customers = [
        CustomerFactory(
            owner=reps[i % 3], name=f"Buyer {i}", region=REGIONS[i], channel=["web", "Web", "fair", ""][i]
        )
        for i in range(4)
    ]
    products = [
        ProductFactory(name="Box", category="Hardware"),
        ProductFactory(name="App", category="Software"),
    ]
    return admin, reps, customers, products


def figures(user, scope: Scope) -> tuple:
    """What the dashboard reads, (raw, rolled) pairs, compared as plain values."""
    sources = visible_sources(user)
    raw_owners = {
        r.owner_id: (r.won_n, r.won_sum, r.lost_n)
        for r in deals_by_owner(sources, scope)
        if r.won_n or r.lost_n
    }
    closed = rolled.closed_deals(sources, scope, sources.lost_reasons)
    rolled_owners = {
        k: (v["won_n"], rolled.money(v["won_c"]), v["lost_n"]) for k, v in closed.by_owner.items()
    }
    stages = list(sources.stages)
    raw_acts = {(r.owner_id, r.kind): (r.planned, r.done) for r in activities_by_owner(sources, scope)}
    rolled_acts = {
        (r.owner_id, r.kind): (r.planned, r.done) for r in rolled.activities_by_owner(sources, scope)
    }
    raw_sales, sold = sales_actuals(sources, scope), rolled.sales_records(sources, scope)
    weights = {stages[1].pk: Decimal("12.5")}
    open_figures = [("open book and risk", raw_open(sources, scope, None), rolled_open(sources, scope, None))]
    open_figures.append(
        ("open book, learned", raw_open(sources, scope, weights), rolled_open(sources, scope, weights))
    )
    return open_figures + [
        ("forecast", forecast(sources, scope, None), rolled.forecast(sources, scope)),
        (
            "forecast, learned",
            forecast(sources, scope, None, weights),
            rolled.forecast(sources, scope, weights),
        ),
        ("won and lost per rep", raw_owners, rolled_owners),
        ("lost by reason", lost_by_reason(sources, scope), closed.reasons),
        ("cycle", sales_cycle(sources, scope), closed.cycle),
        (
            "funnel and time in stage",
            stage_flow(sources, scope, stages),
            rolled.stage_flow(sources, scope, stages),
        ),
        ("activities", {k: v for k, v in raw_acts.items() if any(v)}, rolled_acts),
        ("sales", raw_sales, sold.actuals),
        ("trend", won_trend(sources, scope), rolled.won_trend(sources, scope)),
    ]


TODAY = datetime.date(2025, 2, 10)


def raw_open(sources, scope, weights) -> set:
    rows = deals_by_owner(sources, scope, today=TODAY, stale_days=14, weights=weights, closed=False)
    return {r for r in rows if r.open_n}


def rolled_open(sources, scope, weights) -> set:
    book = rolled.open_book(sources, scope, TODAY, weights)
    return set(rolled.open_owners(book, rolled.stale_counts(sources, scope, TODAY, 14)))


def assert_same(user, scopes=SCOPES):
    for scope in scopes:
        for name, raw, from_rollups in figures(user, scope):
            assert raw == from_rollups, f"{name} over {scope}"


def rollup_rows() -> set:
    return set(
        Rollup.objects.exclude(n=0, cents=0, micros=0).values_list(
            "grain",
            "day",
            "kind",
            "key",
            "tag",
            "owner_id",
            "product_id",
            "region",
            "channel",
            "n",
            "cents",
            "micros",
        )
    )


class Clock:
    def __init__(self):
        self.now = START

    def tick(self, hours: int) -> datetime.datetime:
        self.now += datetime.timedelta(hours=hours)
        return self.now


def apply(action, world, deals: list, clock: Clock) -> None:
    admin, reps, customers, products = world
    verb, *args = action
    at = clock.tick(37 + 11 * len(deals))
    deal = deals[args[0] % len(deals)] if deals and verb not in ("open", "region", "import") else None
    if deal is not None:
        deal.refresh_from_db()
    if verb == "open":
        customer = customers[args[1]]
        made = create_deal(
            customer=customer, title=f"Deal {len(deals)}", owner=reps[args[0]], by=admin,
            amount=Decimal(args[2]) / 4, opened_on=at.date(), at=at,
            expected_close=at.date() + datetime.timedelta(days=args[2] % 70 - 30) if args[2] % 5 else None,
        )  # fmt: skip
        Deal.objects.get(pk=made.pk).apply_edit({"product": products[args[0] % 2]}, version=made.version)
        deals.append(made)
    elif verb == "move" and deal and deal.status == Deal.Status.OPEN:
        deal.move_to(Stage.objects.get(key=args[1]), by=admin, at=at)
    elif verb == "win" and deal and deal.status == Deal.Status.OPEN:
        deal.win(by=admin, at=at)
    elif verb == "lose" and deal and deal.status == Deal.Status.OPEN:
        reason = LostReason.objects.filter(needs_note=False).order_by("pk")[0 if args[1] else 1]
        deal.mark_lost(reason, by=admin, at=at)
    elif verb == "reopen" and deal and deal.status != Deal.Status.OPEN:
        deal.reopen(Stage.objects.get(key=args[1]), by=admin, at=at)
    elif verb == "edit" and deal:
        deal.apply_edit(
            {"owner": reps[args[1]], "amount": Decimal(args[2]) / 8, "channel": "Web"}, version=deal.version
        )
    elif verb == "activity" and deal:
        Activity.objects.create(
            kind="call", subject="Call", deal=deal, customer=deal.customer, owner=deal.owner,
            due_at=at, done_at=at + datetime.timedelta(hours=30) if args[1] else None,
        )  # fmt: skip
    elif verb == "region":
        customer = customers[args[0]]
        customer.refresh_from_db()
        customer.region = args[1]
        customer.save()
    elif verb == "import":
        _import(reps[args[0]], customers[args[0]], Decimal(args[1]) / 4, args[2], at, len(deals))


MAPPING = {
    "kind": "deals",
    "fields": {
        "external_id": "Ref",
        "title": "Deal",
        "customer": {"column": "Company", "match": "name"},
        "owner": {"column": "Rep", "match": "username"},
        "amount": "Value",
        "stage": {"column": "Stage", "values": {"Won": "buy", "Lost": "lost", "Open": "understand"}},
        "opened_on": "Opened",
        "closed_on": "Closed",
        "lost_reason": {"column": "Lost because", "default": "Price"},
    },
}


def _import(rep, customer, amount, won: bool, at: datetime.datetime, n: int) -> None:
    opened = (at - datetime.timedelta(days=20)).date()
    closed = at.date()
    stage = "Won" if won else "Lost"
    text = (
        "Ref,Deal,Company,Rep,Value,Stage,Opened,Closed,Lost because\n"
        f"imp-{n}-{at:%j%H},Imported {n},{customer.name},{rep.username},{amount},{stage},{opened},{closed},\n"
    )
    report = run_import(text.encode(), "deals.csv", Mapping.from_dict(MAPPING), user=None)
    assert report.committed, report.problems


@given(steps=st.lists(step, min_size=1, max_size=14))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_rollup_figures_equal_the_raw_figures_after_every_step(world, steps):
    admin = world[0]
    with transaction.atomic():
        deals, clock = [], Clock()
        for action in steps:
            apply(action, world, deals, clock)
            assert_same(admin, SCOPES[:2])
        assert_same(admin)
        kept = rollup_rows()
        rollups.rebuild()
        assert rollup_rows() == kept  # the upkeep step by step left what a rebuild writes
        transaction.set_rollback(True)


def test_a_rep_reads_only_their_own_rollups(world):
    admin, reps, customers, products = world
    clock = Clock()
    deals = []
    for action in [("open", 0, 0, 400), ("open", 1, 1, 800), ("win", 0), ("win", 1)]:
        apply(action, world, deals, clock)
    scope = SCOPES[0]
    mine = rolled.closed_deals(visible_sources(reps[0]), scope, LostReason.objects.all())
    assert set(mine.by_owner) == {reps[0].pk}
    assert_same(reps[0])


def test_the_period_reads_month_rows_inside_and_day_rows_at_the_ends(world):
    admin, reps, customers, products = world
    deals, clock = [], Clock()
    for action in [("open", 0, 0, 400), ("win", 0)]:
        apply(action, world, deals, clock)
    won_on = Deal.objects.get().closed_on
    # The day row and the month row hold the same sale; a period counts it once, from either.
    assert Rollup.objects.filter(kind="won", grain="d", day=won_on).get().cents == 10000
    assert Rollup.objects.filter(kind="won", grain="m", day=won_on.replace(day=1)).get().cents == 10000
    for start, end in [(won_on, won_on), (won_on.replace(day=1), won_on + datetime.timedelta(days=40))]:
        scope = replace(SCOPES[0], start=start, end=end)
        closed = rolled.closed_deals(visible_sources(admin), scope, LostReason.objects.all())
        assert closed.by_owner[reps[0].pk]["won_c"] == 10000


def test_rows_changed_behind_the_models_back_are_mended_by_a_rebuild(world):
    admin, reps, customers, products = world
    deals, clock = [], Clock()
    for action in [("open", 0, 0, 400), ("win", 0)]:
        apply(action, world, deals, clock)
    Deal.objects.update(amount=Decimal("250.00"))
    SalesRecord.objects.update(amount=Decimal("250.00"))
    with pytest.raises(AssertionError):
        assert_same(admin)
    rollups.rebuild()
    assert_same(admin)


def test_the_demo_data_written_in_bulk_has_rollups_equal_to_its_rows(db):
    from django.core.management import call_command

    call_command("seed_demo", customers=30, deals=300, verbosity=0)
    admin = AdminFactory()
    today = timezone.localdate()
    year = Scope(start=today - datetime.timedelta(days=400), end=today)
    ragged = Scope(start=today - datetime.timedelta(days=95), end=today - datetime.timedelta(days=3))
    assert Rollup.objects.filter(kind="stay").exists()
    assert_same(admin, [year, ragged, replace(ragged, region="north"), replace(year, category="services")])


@pytest.mark.parametrize(
    ("action", "values"),
    [("won", {}), ("lost", {"reason": "Budget"}), ("move", {"stage": "choose"}), ("reassign", {})],
)
def test_a_batch_of_deals_leaves_rollups_equal_to_the_rows(world, action, values):
    from sales.deal_batch import Picked, apply_batch

    admin, reps, customers, products = world
    deals, clock = [], Clock()
    for n in range(4):
        apply(("open", n % 3, n, 400 + n), world, deals, clock)
    apply(("activity", 1, False), world, deals, clock)
    if action == "reassign":
        values = {"owner": reps[2]}
    if action == "move":
        values = {"stage": Stage.objects.get(key="choose")}
    picked = [Picked(pk=d.pk, version=Deal.objects.get(pk=d.pk).version) for d in deals[:3]]
    assert apply_batch(admin, picked, action, **values) == 3
    assert_same(admin, SCOPES[:2])
    kept = rollup_rows()
    rollups.rebuild()
    assert rollup_rows() == kept


@pytest.mark.django_db
def test_the_facts_statement_is_compiled_once_per_shape_and_time_zone(settings):
    """The facts query is kept per shape of write; the business time zone is part of the shape, since
    it decides an activity's day."""
    settings.TIME_ZONE = "UTC"
    rep = RepFactory()
    customer = CustomerFactory(owner=rep)
    late = datetime.datetime(2026, 3, 10, 23, 30, tzinfo=datetime.UTC)
    first, second = (
        Activity.objects.create(owner=rep, customer=customer, subject=s, kind="call", done_at=late)
        for s in ("a", "b")
    )
    rollups._statements.clear()

    def done_days(activity) -> list:
        facts = rollups.facts_of(rollups.Touch(activities={activity.pk}), "default")
        return [key[1] for key in facts if key[0] == "done"]

    assert done_days(first) == [datetime.date(2026, 3, 10)]
    assert done_days(second) == [datetime.date(2026, 3, 10)]
    assert len(rollups._statements) == 1  # the same shape: compiled once
    settings.TIME_ZONE = "Asia/Shanghai"
    assert done_days(first) == [datetime.date(2026, 3, 11)]
    assert len(rollups._statements) == 2
    # Two activities are another shape; each one's facts still count once.
    facts = rollups.facts_of(rollups.Touch(activities={first.pk, second.pk}), "default")
    key = ("done", datetime.date(2026, 3, 11), 0, "call", rep.pk, 0, customer.region, customer.channel)
    assert facts[key] == [2, 0, 0]
