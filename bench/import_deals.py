"""Benchmark: generate a CSV of N deals and import it with the command-line importer's code path.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_imports .venv/bin/python bench/import_deals.py [N]

Budget (design.md): 100,000 deals in under a minute on PostgreSQL, all-or-nothing. The script
creates its owners and customers first (not timed), writes the file, then times a dry run (the
check alone) and the real import, and finally a re-import of the same file (no writes expected).
"""

import argparse
import csv
import datetime
import io
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from customers.models import Customer  # noqa: E402
from dataio.imports import Mapping, run_import  # noqa: E402
from sales.models import Deal, SalesRecord, StageChange  # noqa: E402

OWNERS = 20
CUSTOMERS = 2000
STAGES = ["Lead", "Qualified", "Proposal", "Won", "Won", "Lost"]
MAPPING = {
    "kind": "deals",
    "booleans": "1/empty",
    "fields": {
        "external_id": "Ref",
        "title": "Deal",
        "customer": {"column": "Company", "match": "name"},
        "owner": {"column": "Rep", "match": "username"},
        "amount": "Value",
        "stage": {
            "column": "Stage",
            "values": {"Won": "buy", "Lost": "lost", "Proposal": "choose", "Qualified": "understand"},
        },
        "opened_on": "Opened",
        "closed_on": "Closed",
        "expected_close": "Expected close",
        "lost_reason": {"column": "Lost because", "default": "Unknown"},
    },
}


def make_csv(n: int, seed: int = 5) -> bytes:
    rnd = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "Ref",
            "Deal",
            "Company",
            "Rep",
            "Value",
            "Stage",
            "Opened",
            "Closed",
            "Expected close",
            "Lost because",
        ]
    )
    start = datetime.date(2015, 1, 1)
    for i in range(n):
        stage = rnd.choice(STAGES)
        opened = start + datetime.timedelta(days=rnd.randrange(3000))
        closed = opened + datetime.timedelta(days=rnd.randrange(1, 200)) if stage in ("Won", "Lost") else None
        amount = Decimal(rnd.randrange(10000, 5000000)) / 100
        writer.writerow([
            f"B-{i}",
            f"Bench deal {i}",
            f"Bench customer {rnd.randrange(CUSTOMERS)}",
            f"bench{rnd.randrange(OWNERS)}",
            f"{amount:,.2f}",
            stage,
            opened.isoformat(),
            closed.isoformat() if closed else "",
            (opened + datetime.timedelta(days=90)).isoformat(),
            "Price" if stage == "Lost" and i % 2 else "",
        ])  # fmt: skip
    return out.getvalue().encode("utf-8-sig")


def prepare() -> None:
    User = get_user_model()
    owners = [User.objects.get_or_create(username=f"bench{i}")[0] for i in range(OWNERS)]
    have = set(Customer.objects.filter(name__startswith="Bench customer ").values_list("name", flat=True))
    Customer.objects.bulk_create(
        [
            Customer(name=f"Bench customer {i}", owner=owners[i % OWNERS])
            for i in range(CUSTOMERS)
            if f"Bench customer {i}" not in have
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the imported deals afterwards")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)  # a fresh database gets its tables first
    prepare()
    if Deal.objects.filter(external_id__startswith="B-").exists():
        sys.exit(
            "Bench deals from an earlier run exist; use a fresh database (stage changes cannot be deleted)."
        )
    data = make_csv(args.n)
    mapping = Mapping.from_dict(MAPPING)
    print(f"{connection.vendor}: {args.n} deals, {len(data) / 1e6:.1f} MB of CSV")

    t = time.perf_counter()
    report = run_import(data, "bench.csv", mapping, user=None, dry_run=True)
    print(f"check only (dry run): {time.perf_counter() - t:.1f} s - {report.summary()}")

    t = time.perf_counter()
    report = run_import(data, "bench.csv", mapping, user=None)
    elapsed = time.perf_counter() - t
    print(f"import: {elapsed:.1f} s - {report.summary()}")
    won = Deal.objects.filter(external_id__startswith="B-", status="won").count()
    print(
        f"  deals {Deal.objects.filter(external_id__startswith='B-').count()}, stage changes "
        f"{StageChange.objects.filter(deal__external_id__startswith='B-').count()}, sales records "
        f"{SalesRecord.objects.filter(deal__external_id__startswith='B-').count()} (won {won})"
    )

    t = time.perf_counter()
    again = run_import(data, "bench.csv", mapping, user=None)
    print(f"re-import of the same file: {time.perf_counter() - t:.1f} s - {again.summary()}")
    print(
        f"BUDGET {'MET' if elapsed < 60 else 'MISSED'}: {elapsed:.1f} s for {args.n} deals "
        "(budget 60 s for 100k)"
    )


if __name__ == "__main__":
    main()
