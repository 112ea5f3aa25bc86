"""Benchmark of the manager dashboard: server time and query count at a given number of deals.

Seeds the database named by DATABASE_URL with ``seed_demo`` (bulk inserts), renders the dashboard as
the demo admin and manager with Django's test client, and prints p50/p95 server time and the query
count per user and period.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench \
        .venv/bin/python bench/dashboard.py --deals 100000 --runs 30

Budget (design.md): p95 <= 300 ms at 100k deals and <= 1 s at 1,000,000 on PostgreSQL, the same
query count at any size.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deals", type=int, default=10_000, help="number of deals to seed")
    parser.add_argument("--customers", type=int, default=None, help="customers to seed (default deals / 10)")
    parser.add_argument("--years", type=int, default=1, help="years of history the seeded deals spread over")
    parser.add_argument("--runs", type=int, default=30, help="timed renders per period")
    parser.add_argument("--periods", default="quarter,year", help="comma-separated period presets to time")
    parser.add_argument("--users", default="admin,manager", help="comma-separated demo users to time as")
    parser.add_argument("--no-seed", action="store_true", help="keep the data already in the database")
    parser.add_argument(
        "--plans",
        type=int,
        default=0,
        help="also add this many monthly rep plans per product category this year, which the quotas add up",
    )
    parser.add_argument(
        "--cache-seconds",
        type=int,
        default=0,
        help="also time renders with CRM_DASHBOARD_CACHE_SECONDS set to this (0: cold renders only)",
    )
    parser.add_argument("--slowest", type=int, default=5, help="print the N slowest queries of one render")
    return parser.parse_args()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class QueryLog:
    """Times every query of a request (the request_started signal empties ``connection.queries``)."""

    def __init__(self):
        self.entries: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.entries.append(((time.perf_counter() - started) * 1000, sql))


def main() -> None:
    args = parse_args()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from sales.models import Deal

    setup_test_environment()  # lets the test client run against this database without a test runner
    call_command("migrate", verbosity=0)
    if not args.no_seed:
        customers = args.customers or max(1, args.deals // 10)
        started = time.perf_counter()
        call_command(
            "seed_demo", customers=customers, deals=args.deals, years=args.years, verbosity=0, reset=True
        )
        print(f"seeded {customers} customers and {args.deals} deals in {time.perf_counter() - started:.1f} s")
    if args.plans:
        add_plans(args.plans)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Statistics and visibility map after a bulk load, as autovacuum would give a running
            # server (seed_demo does it after a big load; here for data loaded otherwise).
            cursor.execute("VACUUM (ANALYZE)")
    print(f"database: {connection.vendor}, deals: {Deal.objects.count()}")

    url = reverse("sales:dashboard")
    for username in args.users.split(","):
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        for period in args.periods.split(","):
            time_period(client, url, username, period, args)


def time_period(client, url: str, username: str, period: str, args) -> None:
    """p50/p95 of cold renders of one period as one user, the query count, the slowest queries,
    and with ``--cache-seconds`` the renders served from the cache."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection

    params = {"period": period}
    label = f"{username:8} period={period:8}"
    settings.CRM_DASHBOARD_CACHE_SECONDS = 0
    for _ in range(3):  # warm up connections, caches and template loading
        assert client.get(url, params).status_code == 200
    queries = QueryLog()
    with connection.execute_wrapper(queries):
        client.get(url, params)
    report(f"{label} cold", time_renders(client, url, params, args.runs), len(queries.entries))
    for ms, sql in sorted(queries.entries, reverse=True)[: args.slowest]:
        print(f"    {ms:7.1f} ms  {sql[:110]}")
    if args.cache_seconds > 0:
        settings.CRM_DASHBOARD_CACHE_SECONDS = args.cache_seconds
        cache.clear()
        client.get(url, params)  # fills the cache, as the first visitor of the minute does
        warm = QueryLog()
        with connection.execute_wrapper(warm):
            client.get(url, params)
        report(f"{label} warm", time_renders(client, url, params, args.runs), len(warm.entries))


def add_plans(count: int) -> None:
    """Monthly plans for the demo team's reps, per product category, this year's months first, then
    the years before."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from people.models import Team
    from sales.models import Product, SalesPlan

    this_year = timezone.localdate().year
    reps = list(Team.objects.get(name="Demo team").members.order_by("pk"))
    categories = sorted(set(Product.objects.exclude(category="").values_list("category", flat=True)))
    cells = [
        (rep, category, this_year - back, month)
        for back in range(count // max(1, 12 * len(reps) * len(categories)) + 1)
        for month in range(1, 13)
        for rep in reps
        for category in categories
    ]
    plans = []
    for n, (rep, category, year, month) in enumerate(cells[:count]):
        start = datetime.date(year, month, 1)
        end = datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)
        plans.append(
            SalesPlan(
                name=f"Bench {n}",
                scope=SalesPlan.Scope.REP,
                rep=rep,
                product_category=category,
                period_start=start,
                period_end=end,
                target_ratio=Decimal("0.5"),
                activity_ratio=Decimal("0.6"),
                revenue_quota=Decimal(10000 + n),
                activities_quota=20,
                external_id=f"bench-plan-{n}",
            )
        )
    SalesPlan.objects.filter(external_id__startswith="bench-plan-").delete()
    SalesPlan.objects.bulk_create(plans)
    print(f"added {len(plans)} plans")


def time_renders(client, url: str, params: dict, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return timings


def report(label: str, timings: list[float], queries: int) -> None:
    print(
        f"{label} runs={len(timings)} p50={statistics.median(timings):.0f} ms "
        f"p95={percentile(timings, 0.95):.0f} ms max={max(timings):.0f} ms queries={queries}"
    )


if __name__ == "__main__":
    main()
