"""Demo data: users, a team, customers, products, a year of deals with their stage histories,
activities, sales records and plans for the current quarter.

Loads only into a database without customers or deals, so restarting the demo server keeps what
its users did (ids, won and lost deals, activities). ``--reset`` rebuilds the demo: deterministic for
a given day (a fixed random seed, dates counted back from today) and idempotent, since demo rows carry
an ``external_id`` starting with ``demo-``. A reset also removes what users attached to demo customers
(their deals, activities and sales), because those cannot outlive the customers; anything else in the
database is left alone.
"""

import datetime
import functools
import random
import time
from decimal import Decimal
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from customers.models import Contact, Customer
from history.actor import acting_as
from people.models import Team
from people.visibility import MANAGERS_GROUP, REPS_GROUP
from sales import rollups
from sales.bulk import (
    WriteBehind,
    indexes_deferred,
    insert_objects,
    insert_rows,
    insert_rows_returning_ids,
    vacuum_analyze,
)
from sales.models import (
    Activity,
    Deal,
    LostReason,
    Product,
    Rollup,
    SalesPlan,
    SalesRecord,
    Stage,
    StageChange,
)
from sales.rollups import stay_after

DEMO_PASSWORD = "demo12345"  # noqa: S105 - printed for the demo users, documented in the README
PREFIX = "demo-"
BATCH = 5000
# Deals are drawn and written this many at a time.
CHUNK = 20000
# From this many deals on, the big tables' indexes and foreign keys are made after the load.
DEFER_INDEXES_FROM = 50_000

FIRST = [
    "Acme", "Blue Harbor", "Cedar", "Delta", "Eastwind", "Falcon", "Greenfield", "Harbor", "Ironwood",
    "Jade", "Kestrel", "Lotus", "Meridian", "Northstar", "Oakridge", "Pinnacle", "Quarry", "Redwood",
    "Silverline", "Tidewater", "Unity", "Vantage", "Willow", "Summit",
]  # fmt: skip
SECOND = [
    "Logistics", "Foods", "Clinic", "Bank", "Retail", "Labs", "Motors", "Media", "Textiles", "Energy",
    "Pharmacy", "Outfitters", "Insurance", "Hotels",
]  # fmt: skip
CITIES = [
    "Austin", "Boston", "Denver", "Lyon", "Munich", "Osaka", "Porto", "Seattle", "Shanghai", "Sydney",
    "Toronto", "Valencia", "Chengdu", "Dublin", "Leeds", "Nantes", "Oslo", "Perth", "Quebec", "Turin",
]  # fmt: skip
PEOPLE = [
    "Alex Morgan", "Priya Shah", "Chen Wei", "Lucía Romero", "Tom Becker", "Amara Okafor", "Yuki Tanaka",
    "Sofia Rossi", "Daniel Kim", "Hannah Weber", "Omar Haddad", "Li Na", "Jonas Berg", "Grace Liu",
    "Mateo Silva", "Elena Petrova", "Sam Carter", "Wang Fang", "Noah Fischer", "Isabel Costa",
]  # fmt: skip
TITLES = ["Purchasing manager", "Head of operations", "IT director", "CFO", "Office manager", "Owner"]
INDUSTRIES = ["Retail", "Finance", "Healthcare", "Manufacturing", "E-commerce", "Education"]
REGIONS = ["North", "South", "East", "West"]
CHANNELS = ["Referral", "Website", "Trade show", "Cold call", "Partner"]
PRODUCTS = [
    ("CRM Starter", "Software", Decimal("1200.00")),
    ("CRM Professional", "Software", Decimal("4800.00")),
    ("Analytics add-on", "Software", Decimal("2400.00")),
    ("Onboarding package", "Services", Decimal("3000.00")),
    ("Support plan", "Services", Decimal("1800.00")),
    ("Hardware kit", "Hardware", Decimal("6500.00")),
]
ACTIVITY_SUBJECTS = {
    Activity.Kind.CALL: [
        "Discovery call: current tools and pain points",
        "Call to confirm the budget owner",
        "Check-in call after the trial",
        "Call about delivery dates",
    ],
    Activity.Kind.MEETING: [
        "Product demo for the operations team",
        "On-site workshop on requirements",
        "Contract review meeting",
        "Quarterly business review",
    ],
    Activity.Kind.EMAIL: [
        "Sent the proposal and price sheet",
        "Shared two customer references",
        "Answered questions on data migration",
        "Sent the revised quote",
    ],
    Activity.Kind.TASK: [
        "Follow up on the quote",
        "Prepare the renewal offer",
        "Send the contract for signature",
        "Book the onboarding kickoff",
        "Chase the signed order form",
    ],
    Activity.Kind.NOTE: [
        "Notes: decision expected after the board meeting",
        "Notes: competitor offered a lower price",
        "Notes: champion is moving to another team",
    ],
}


def customer_names(rng: random.Random, count: int) -> list[str]:
    """Distinct company names that read like a real book of business; a city tells namesakes apart."""
    pairs = [f"{a} {b}" for a in FIRST for b in SECOND]
    rng.shuffle(pairs)
    names = pairs[:count]
    for n in range(len(names), count):
        base = f"{pairs[n % len(pairs)]} ({CITIES[n // len(pairs) % len(CITIES)]})"
        names.append(base if n < len(pairs) * (len(CITIES) + 1) else f"{base} {n}")
    return names


CHANGE_FIELDS = [
    "deal_id", "from_stage_id", "to_stage_id", "status", "changed_at", "changed_by_id", "amount",
    "probability", "expected_close", "stay_micros",
]  # fmt: skip
# The tables a big load fills.
BULKY_TABLES = [Customer, Contact, Deal, StageChange, SalesRecord, Activity, Rollup]
RECORD_FIELDS = [
    "customer_id", "owner_id", "deal_id", "product_id", "amount", "sold_on", "note", "external_id",
    "created_at",
]  # fmt: skip
ACTIVITY_FIELDS = [
    "kind", "subject", "notes", "deal_id", "customer_id", "owner_id", "due_at", "done_at", "outcome",
    "external_id", "created_at",
]  # fmt: skip


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, _HOURS[hour], tzinfo=_zone())


_HOURS = [datetime.time(h) for h in range(24)]


@functools.cache
def _zone():
    return timezone.get_current_timezone()


class DemoDeal(NamedTuple):
    """A drawn deal, as the row written to the deals table (DEAL_FIELDS order, the id aside)."""

    customer_id: int
    title: str
    owner_id: int
    amount: Decimal
    stage_id: int
    probability: Decimal
    probability_overridden: bool
    status: str
    lost_reason_id: int | None
    lost_note: str
    opened_on: datetime.date
    expected_close: datetime.date
    original_expected_close: datetime.date
    closed_on: datetime.date | None
    channel: str
    product_id: int
    version: int
    external_id: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


DEAL_FIELDS = list(DemoDeal._fields)


def _draw_deal(
    rng, i: int, customers, products, order, reasons, today, days: int, now
) -> tuple[DemoDeal, list]:
    """Deal number ``i`` and the stages it went through, as (stage, day) pairs."""
    customer = customers[rng.randrange(len(customers))]
    product = rng.choice(products)
    opened = today - datetime.timedelta(days=rng.randrange(0, days))
    amount = (product.list_price * rng.randrange(1, 12)).quantize(Decimal("0.01"))
    steps, status, stage, closed_on = _draw_path(rng, order, opened, today)
    expected = closed_on or today + datetime.timedelta(days=rng.randrange(-25, 100))
    original = expected - datetime.timedelta(days=rng.randrange(10, 40)) if rng.random() < 0.2 else expected
    reason = rng.choice(reasons).pk if status == Deal.Status.LOST else None
    deal = DemoDeal(
        customer.pk, f"{product.name} for {customer.name}", customer.owner_id, amount, stage.pk,
        stage.default_probability, False, status, reason, "", opened, expected, original, closed_on,
        customer.channel, product.pk, 1, f"{PREFIX}deal-{i + 1}", now, now,
    )  # fmt: skip
    return deal, steps


def _draw_path(rng, order, opened: datetime.date, today: datetime.date) -> tuple:
    """How far a deal opened on ``opened`` got: its steps, status, stage and closing day."""
    age = (today - opened).days
    roll = rng.random()
    # Young deals are still being worked; by half a year most deals have been decided.
    still_open = age < 20 or (roll < 0.3 and age < 200) or roll < 0.05
    if not still_open and roll < 0.68:
        cycle = rng.randrange(10, max(11, min(age, 120)))
        closed = opened + datetime.timedelta(days=cycle)
        path = order[: 4 + rng.choice([0, 0, 1, 2])]
        steps = [
            (stage, opened + datetime.timedelta(days=cycle * n // 3)) for n, stage in enumerate(path[:4])
        ]
        steps += [
            (stage, min(today, closed + datetime.timedelta(days=15 * n)))
            for n, stage in enumerate(path[4:], start=1)
        ]
        return steps, Deal.Status.WON, path[-1], closed
    reached = rng.randrange(1, 4)
    if still_open:
        steps = [
            (stage, opened + datetime.timedelta(days=age * n // 3)) for n, stage in enumerate(order[:reached])
        ]
        return steps, Deal.Status.OPEN, order[reached - 1], None
    cycle = rng.randrange(5, max(6, min(age, 90)))
    closed = opened + datetime.timedelta(days=cycle)
    steps = [
        (stage, opened + datetime.timedelta(days=cycle * n // 3)) for n, stage in enumerate(order[:reached])
    ]
    return steps, Deal.Status.LOST, order[reached - 1], closed


def _stage_changes(pk, deal: DemoDeal, steps: list) -> list[tuple]:
    """The deal's moves in CHANGE_FIELDS order, and its loss as a last row when it was lost."""
    rows, previous, last = [], None, None
    for stage, day in steps:
        status = Deal.Status.WON if stage.kind != Stage.Kind.OPEN else Deal.Status.OPEN
        at = _at(day)
        rows.append(
            (pk, previous, stage.pk, status, at, deal.owner_id)
            + (deal.amount, stage.default_probability, deal.expected_close, stay_after(last, previous, at))
        )
        previous, last = stage.pk, {"status": status, "changed_at": at}
    if deal.status == Deal.Status.LOST:
        at = _at(deal.closed_on, 16)
        rows.append(
            (pk, deal.stage_id, deal.stage_id, Deal.Status.LOST, at, deal.owner_id)
            + (deal.amount, deal.probability, deal.expected_close, stay_after(last, deal.stage_id, at))
        )
    return rows


def _sale(pk, deal: DemoDeal, now: datetime.datetime) -> tuple:
    """The won deal's sales record, in RECORD_FIELDS order."""
    return (
        deal.customer_id, deal.owner_id, pk, deal.product_id, deal.amount, deal.closed_on, "",
        f"{PREFIX}{deal.external_id}", now,
    )  # fmt: skip


def _deal_activities(
    rng, pk, deal: DemoDeal, index: int, today: datetime.date, now: datetime.datetime
) -> list:
    """One to three activities on the deal, in ACTIVITY_FIELDS order; open deals often have a task."""
    rows = []
    for n in range(rng.randrange(1, 4)):
        kind = rng.choice(_KINDS)
        last_day = deal.closed_on or today
        first_day = deal.opened_on
        if deal.status == Deal.Status.OPEN and n == 1 and rng.random() < 0.75:
            # Most open deals are being worked on: a recent touch keeps them off the risk list.
            first_day = max(first_day, today - datetime.timedelta(days=10))
        day = first_day + datetime.timedelta(days=rng.randrange(0, (last_day - first_day).days + 1))
        if deal.status == Deal.Status.OPEN and n == 0 and rng.random() < 0.6:
            kind = Activity.Kind.TASK
            due = _at(today + datetime.timedelta(days=rng.randrange(-5, 10)), 9 + rng.randrange(0, 8))
            done, outcome = None, ""
        else:
            due, done, outcome = _at(day), _at(day, 11), "Positive"
        rows.append(
            (kind, rng.choice(ACTIVITY_SUBJECTS[kind]), "", pk, deal.customer_id, deal.owner_id, due)
            + (done, outcome, f"{PREFIX}activity-{index}-{n}", now)
        )
    return rows


_KINDS = list(ACTIVITY_SUBJECTS)


def _write_chunk(deals: list, changes: list, records: list, activities: list, connection) -> None:
    """A chunk of deals, then their stage changes, sales records and activities with the deals'
    places in the chunk (first column, third and fourth) replaced by the deals' ids."""
    ids = insert_rows_returning_ids(Deal, DEAL_FIELDS, deals, connection=connection)
    insert_rows(StageChange, CHANGE_FIELDS, ((ids[c[0]], *c[1:]) for c in changes), connection=connection)
    insert_rows(
        SalesRecord, RECORD_FIELDS, ((*r[:2], ids[r[2]], *r[3:]) for r in records), connection=connection
    )
    insert_rows(
        Activity, ACTIVITY_FIELDS, ((*a[:3], ids[a[3]], *a[4:]) for a in activities), connection=connection
    )


class Command(BaseCommand):
    help = "Create (or rebuild) deterministic demo data: users, customers, deals, activities, plans."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=120, help="number of demo customers")
        parser.add_argument("--deals", type=int, default=400, help="number of demo deals")
        parser.add_argument("--seed", type=int, default=20240601, help="random seed")
        parser.add_argument("--years", type=int, default=1, help="years of history the deals spread over")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="rebuild the demo rows even if the database has data (what users added elsewhere stays)",
        )

    def handle(
        self, *args, customers: int, deals: int, seed: int, years: int = 1, reset: bool = False, **options
    ) -> None:
        if customers < 1 or deals < 0 or years < 1:
            self.stderr.write("--customers and --years must be at least 1, --deals at least 0.")
            raise SystemExit(2)
        if not reset and (Customer.objects.exists() or Deal.objects.exists()):
            self.stdout.write(
                "The database already has data; keeping it. Run seed_demo --reset for a fresh demo."
            )
            return
        started = self._lapped = time.perf_counter()
        self._verbosity = options.get("verbosity", 1)
        rng = random.Random(seed)
        today = timezone.localdate()
        # Demo rows are nobody's doing: their history (teams, products) names no one.
        # The rows are written in bulk; the dashboard's rollups are rebuilt from them at the end.
        with transaction.atomic(), acting_as(None), rollups.suspended():
            users = self._users()
            self._clear()
            products = self._products()
            stages = {stage.key: stage for stage in Stage.objects.all()}
            reps = [users["rep1"], users["rep2"]]
            # A big load skips the per-row index upkeep and makes the indexes once at the end.
            bulky = BULKY_TABLES if deals >= DEFER_INDEXES_FROM else []
            with indexes_deferred(bulky):
                customer_rows = self._customers(rng, customers, reps)
                self._lap("customers")
                deal_count = self._deals(rng, deals, customer_rows, products, stages, today, days=365 * years)
                self._plans(today, users)
                self._lap("deals, stage changes, sales and activities")
                rollups.rebuild()
                self._lap("rollups")
            if bulky:
                self._lap("indexes and foreign keys")
        if vacuum_analyze(bulky):
            self._lap("vacuum and statistics")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(customer_rows)} customers, {deal_count} deals in {elapsed:.1f} s."
            )
        )
        self.stdout.write(
            f"Sign in at /accounts/login/ as admin, manager, rep1 or rep2 with the password {DEMO_PASSWORD}."
        )

    def _lap(self, what: str) -> None:
        """With --verbosity 2, how long each part of the load took."""
        now = time.perf_counter()
        if self._verbosity >= 2:
            self.stdout.write(f"{what}: {now - self._lapped:.1f} s")
        self._lapped = now

    def _users(self) -> dict:
        User = get_user_model()
        reps, managers = Group.objects.get(name=REPS_GROUP), Group.objects.get(name=MANAGERS_GROUP)
        spec = {
            "admin": ("Ada", "Admin", True, None),
            "manager": ("Mia", "Manager", False, managers),
            "rep1": ("Ravi", "Rep", False, reps),
            "rep2": ("Rosa", "Rep", False, reps),
        }
        users = {}
        for username, (first, last, is_admin, group) in spec.items():
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                    "is_staff": is_admin,
                    "is_superuser": is_admin,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            if group:
                user.groups.add(group)
            users[username] = user
        team, _ = Team.objects.get_or_create(name="Demo team", defaults={"manager": users["manager"]})
        team.members.add(users["rep1"], users["rep2"])
        return users

    def _clear(self) -> None:
        # Deals users opened on demo customers go with them (a deal cannot outlive its customer).
        on_demo = Deal.objects.filter(customer__external_id__startswith=PREFIX)
        SalesRecord.objects.filter(deal__in=on_demo).delete()
        StageChange.objects.filter(deal__in=on_demo).delete()
        Activity.objects.filter(deal__in=on_demo).delete()
        on_demo.delete()
        Activity.objects.filter(external_id__startswith=PREFIX).delete()
        SalesRecord.objects.filter(external_id__startswith=PREFIX).delete()
        StageChange.objects.filter(deal__external_id__startswith=PREFIX).delete()
        Activity.objects.filter(deal__external_id__startswith=PREFIX).delete()
        Deal.objects.filter(external_id__startswith=PREFIX).delete()
        Contact.objects.filter(customer__external_id__startswith=PREFIX).delete()
        Activity.objects.filter(customer__external_id__startswith=PREFIX).delete()
        SalesRecord.objects.filter(customer__external_id__startswith=PREFIX).delete()
        Customer.objects.filter(external_id__startswith=PREFIX).delete()
        SalesPlan.objects.filter(external_id__startswith=PREFIX).delete()

    def _products(self) -> list[Product]:
        products = []
        for name, category, price in PRODUCTS:
            product, _ = Product.objects.get_or_create(
                name=name, defaults={"category": category, "list_price": price}
            )
            products.append(product)
        return products

    def _customers(self, rng: random.Random, count: int, reps: list) -> list[Customer]:
        rows = []
        names = customer_names(rng, count)
        for i in range(count):
            name = names[i]
            rows.append(
                Customer(
                    name=name,
                    kind=Customer.Kind.COMPANY if rng.random() < 0.85 else Customer.Kind.PERSON,
                    industry=rng.choice(INDUSTRIES),
                    region=rng.choice(REGIONS),
                    channel=rng.choice(CHANNELS),
                    owner=reps[i % len(reps)],
                    email=f"info{i + 1}@example.com",
                    phone=f"+1 555 {1000 + i % 9000:04d}",
                    need=Decimal(rng.randrange(20, 400) * 100) if rng.random() < 0.9 else None,
                    external_id=f"{PREFIX}customer-{i + 1}",
                )
            )
        customers = insert_objects(Customer, rows)
        insert_objects(
            Contact,
            [
                Contact(
                    customer=c,
                    name=PEOPLE[n % len(PEOPLE)],
                    title=TITLES[n % len(TITLES)],
                    email=f"{PEOPLE[n % len(PEOPLE)].split()[0].lower()}{n}@example.com",
                    is_primary=True,
                )
                for n, c in enumerate(customers, start=1)
                if c.kind == Customer.Kind.COMPANY
            ],
        )
        return customers

    def _deals(self, rng, count, customers, products, stages, today, *, days: int) -> int:
        """The deals in chunks, each written with its stage changes, sale and activities, so memory
        stays flat however many deals are asked for."""
        order = [stages[key] for key in ("lead", "understand", "choose", "buy", "use", "maintain")]
        # The reasons that say enough on their own; "Other" would need a note.
        reasons = list(LostReason.objects.active().filter(needs_note=False).order_by("order", "pk"))
        now = timezone.now()
        # PostgreSQL stores each chunk on a second thread while the next one is drawn.
        with WriteBehind() as writer:
            for first in range(0, count, CHUNK):
                drawn = [
                    _draw_deal(rng, i, customers, products, order, reasons, today, days, now)
                    for i in range(first, min(count, first + CHUNK))
                ]
                # The other rows name their deal by its place in the chunk until it has an id.
                changes, records, activities = [], [], []
                for place, (deal, steps) in enumerate(drawn):
                    changes += _stage_changes(place, deal, steps)
                    if deal.status == Deal.Status.WON:
                        records.append(_sale(place, deal, now))
                    activities += _deal_activities(rng, place, deal, first + place + 1, today, now)
                writer.submit(
                    functools.partial(
                        _write_chunk, [deal for deal, _steps in drawn], changes, records, activities
                    )
                )
                del drawn, changes, records, activities
                if count > CHUNK:
                    self.stdout.write(f"  {min(count, first + CHUNK)} deals", ending="\r")
        return count

    def _plans(self, today: datetime.date, users: dict) -> None:
        start = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        end_month = start.month + 2
        end = datetime.date(start.year, end_month, 1) + datetime.timedelta(days=31)
        end = end.replace(day=1) - datetime.timedelta(days=1)
        quarter = (start.month - 1) // 3 + 1
        common = {
            "period_start": start,
            "period_end": end,
            "target_ratio": Decimal("0.5"),
            "activity_ratio": Decimal("0.6"),
        }
        team = Team.objects.get(name="Demo team")
        # Who each plan is for: (external id suffix, name, scope and target, revenue quota, activities).
        plans = [
            ("company", "Company plan", {"scope": SalesPlan.Scope.COMPANY}, "1200000.00", 300),
            ("team", team.name, {"scope": SalesPlan.Scope.TEAM, "team": team}, "1000000.00", 200),
            *[
                (
                    name,
                    users[name].get_full_name(),
                    {"scope": SalesPlan.Scope.REP, "rep": users[name]},
                    "500000.00",
                    100,
                )
                for name in ("rep1", "rep2")
            ],
        ]
        SalesPlan.objects.bulk_create(
            SalesPlan(
                name=f"{title} Q{quarter} {start.year}",
                revenue_quota=Decimal(quota),
                activities_quota=activities,
                external_id=f"{PREFIX}plan-{key}",
                **target,
                **common,
            )
            for key, title, target, quota, activities in plans
        )
