"""Benchmark of the pipeline trend page over a year of daily snapshots for many reps.

Makes ``--reps`` users (``bench-rep-N``) and ``--days`` daily snapshots for each of them (every
open stage × three expected-close months) in the database named by DATABASE_URL, then renders
/dashboard/pipeline-trend/ as an admin (who sees every rep) and prints p50/p95 server time and the
query count. The rows it made stay; run it on a scratch database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/snapshots.py

Budget (the issue): a year of daily snapshots for 100 reps adds under a second.
"""

import argparse
import datetime
import os
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
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from automation.models import PipelineSnapshot
    from sales.models import Stage

    User = get_user_model()
    reps = [User.objects.get_or_create(username=f"bench-rep-{n}")[0] for n in range(args.reps)]
    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    stages = list(Stage.objects.filter(kind="open"))
    today = timezone.localdate()
    months = [(today.replace(day=1) + datetime.timedelta(days=32 * k)).replace(day=1) for k in range(3)]
    if not PipelineSnapshot.objects.filter(
        owner__in=reps, day=today - datetime.timedelta(days=args.days - 1)
    ).exists():
        rows = [
            PipelineSnapshot(
                day=today - datetime.timedelta(days=back),
                owner=rep,
                stage=stage,
                close_month=month,
                deals=3,
                amount=Decimal(1000 + back),
                weighted=Decimal(100 + back),
            )
            for back in range(args.days)
            for rep in reps
            for stage in stages
            for month in months
        ]
        PipelineSnapshot.objects.bulk_create(rows, batch_size=5000)
    print(f"snapshot rows: {PipelineSnapshot.objects.count()} on {connection.vendor}")

    client = Client()
    client.force_login(admin)
    times = []
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            assert client.get("/dashboard/pipeline-trend/").status_code == 200
            times.append(time.perf_counter() - started)
    times.sort()
    print(
        f"trend page: p50 {statistics.median(times) * 1000:.0f} ms, "
        f"p95 {times[int(len(times) * 0.95) - 1] * 1000:.0f} ms, {len(queries)} queries"
    )


if __name__ == "__main__":
    main()
