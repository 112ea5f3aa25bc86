"""Pipeline snapshots: the open pipeline of a day per owner × stage × expected-close month.

``take_snapshot`` reads the deals as they stand (the worker's daily job, and ``snapshot_pipeline``
for today); ``snapshot_from_ledger`` rebuilds a past day from the stage-change ledger, which holds
each deal's stage, status, amount, probability and expected close as of its every move
(``snapshot_pipeline --backfill``). The figures shown from them are defined in docs/metrics.md.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from automation.models import DailyRun, PipelineSnapshot
from automation.once import first_to
from sales.models import Deal, StageChange

CENT = Decimal("0.01")
JOB = "pipeline-snapshot"


def _month(day: datetime.date | None) -> datetime.date | None:
    return day.replace(day=1) if day else None


def rows_now(day: datetime.date) -> list[PipelineSnapshot]:
    weighted = ExpressionWrapper(
        F("amount") * F("probability") / 100, output_field=DecimalField(max_digits=20, decimal_places=4)
    )
    groups = (
        Deal.objects.open()
        .annotate(close_month=TruncMonth("expected_close"))
        .values("owner_id", "stage_id", "close_month")
        .annotate(n=Count("pk"), total=Sum("amount"), weight=Sum(weighted))
        .order_by()
    )
    return [
        PipelineSnapshot(
            day=day,
            owner_id=g["owner_id"],
            stage_id=g["stage_id"],
            close_month=_month(g["close_month"]),
            deals=g["n"],
            amount=Decimal(g["total"] or 0).quantize(CENT),
            weighted=Decimal(g["weight"] or 0).quantize(CENT),
        )
        for g in groups
    ]


def rows_from_ledger(day: datetime.date) -> list[PipelineSnapshot]:
    """The pipeline at the end of ``day`` as the stage-change ledger recorded it."""
    end = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
    last = StageChange.objects.filter(deal=OuterRef("pk"), changed_at__lt=end).order_by("-changed_at", "-pk")
    deals = (
        Deal.objects.annotate(
            at_status=Subquery(last.values("status")[:1]),
            at_stage=Subquery(last.values("to_stage_id")[:1]),
            at_amount=Subquery(last.values("amount")[:1]),
            at_probability=Subquery(last.values("probability")[:1]),
            at_close=Subquery(last.values("expected_close")[:1]),
        )
        .filter(at_status=Deal.Status.OPEN)
        .values_list("owner_id", "at_stage", "at_close", "at_amount", "at_probability")
        .order_by()
    )
    groups: dict = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for owner, stage, close, amount, probability in deals:
        group = groups[(owner, stage, _month(close))]
        group[0] += 1
        group[1] += Decimal(amount)
        group[2] += Decimal(amount) * Decimal(probability) / 100
    return [
        PipelineSnapshot(
            day=day,
            owner_id=owner,
            stage_id=stage,
            close_month=month,
            deals=n,
            amount=total.quantize(CENT),
            weighted=weight.quantize(CENT),
        )
        for (owner, stage, month), (n, total, weight) in groups.items()
    ]


@transaction.atomic
def save_snapshot(day: datetime.date, rows: list[PipelineSnapshot]) -> int:
    """Replace the day's snapshot with ``rows``, in bulk."""
    PipelineSnapshot.objects.filter(day=day).delete()
    PipelineSnapshot.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def take_snapshot(day: datetime.date) -> int:
    return save_snapshot(day, rows_now(day))


def daily_snapshot(now: datetime.datetime) -> bool:
    """Today's snapshot, once: the worker calls this every round; False when it was already made."""
    day = timezone.localdate(now)
    if DailyRun.objects.filter(job=JOB, day=day).exists():
        return False

    def make() -> None:
        DailyRun.objects.create(job=JOB, day=day, done_at=now)
        take_snapshot(day)

    return first_to(make)  # False when another worker made it at the same moment
