"""Benchmark of the pipeline board: first-screen server time and query count with N open deals.

Needs the demo users (``manage.py seed_demo``) in the database named by DATABASE_URL; adds open
deals with bulk inserts until there are N, renders /pipeline/ as the demo manager (who sees every
deal) and as rep1, and prints p50/p95 server time and the query count.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/board.py --open 10000

Budget (design.md): the board stays usable with 10k open deals; the query count does not grow.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--open", type=int, default=10_000, help="open deals on the board")
    parser.add_argument("--runs", type=int, default=20, help="timed renders per user")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from sales.models import Deal

    users = get_user_model().objects.filter(username__in=["manager", "rep1"]).order_by("username")
    if users.count() != 2:
        sys.exit("Run `manage.py seed_demo` first: the benchmark signs in as the demo manager and rep1.")
    add_open_deals(args.open - Deal.objects.open().count())
    print(f"open deals: {Deal.objects.open().count()} on {connection.vendor}")
    for user in users:
        time_board(user, args.runs)


def add_open_deals(missing: int) -> None:
    """Bulk-insert ``missing`` open deals spread over the demo reps' customers and the open stages."""
    if missing <= 0:
        return
    from django.utils import timezone

    from customers.models import Customer
    from sales.models import Deal, Stage

    rng = random.Random(1)
    stages = list(Stage.objects.open())
    customers = list(Customer.objects.filter(owner__username__in=["rep1", "rep2"])[:500])
    today = timezone.localdate()
    rows = []
    for i in range(missing):
        customer, stage = rng.choice(customers), rng.choice(stages)
        rows.append(
            Deal(
                customer=customer,
                owner_id=customer.owner_id,
                title=f"Board bench deal {i}",
                amount=Decimal(rng.randrange(1000, 90000)),
                stage=stage,
                probability=stage.default_probability,
                opened_on=today - datetime.timedelta(days=rng.randrange(0, 200)),
                expected_close=today + datetime.timedelta(days=rng.randrange(-30, 180)),
                external_id=f"bench-board-{i}-{rng.random()}",
            )
        )
    Deal.objects.bulk_create(rows, batch_size=2000)


def time_board(user, runs: int) -> None:
    """Print p50/p95 of ``runs`` renders of the board as ``user``, and the queries of one render."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    client.get("/pipeline/")  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get("/pipeline/")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get("/pipeline/")
    times.sort()
    p95 = times[round(0.95 * (len(times) - 1))]
    print(
        f"{user.username}: p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, "
        f"{len(queries.captured_queries)} queries"
    )


if __name__ == "__main__":
    main()
