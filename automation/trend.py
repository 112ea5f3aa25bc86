"""The pipeline's trend and forecast accuracy, read from the daily snapshots (see docs/metrics.md)."""

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Sum
from django.db.models.functions import TruncMonth

from automation.models import PipelineSnapshot
from sales.models import Deal

ZERO = Decimal("0")


@dataclass(frozen=True)
class Point:
    day: datetime.date
    amount: Decimal
    weighted: Decimal
    deals: int


@dataclass(frozen=True)
class MonthForecast:
    month: datetime.date  # first day
    forecast: Decimal  # weighted pipeline expected to close in the month, as of its first day
    won: Decimal  # won in the month
    accuracy: Decimal | None  # 100 − |won − forecast| / forecast × 100, not below 0


@dataclass(frozen=True)
class Trend:
    points: list[Point]  # weekly, oldest first, the last being the latest snapshot
    latest: Point | None
    week_ago: Point | None
    month_ago: Point | None
    change_week: Decimal | None  # % change of the open pipeline amount
    change_month: Decimal | None
    forecasts: list[MonthForecast]


def month_before(day: datetime.date) -> datetime.date:
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def change(now: Point | None, then: Point | None) -> Decimal | None:
    if now is None or then is None or not then.amount:
        return None
    return ((now.amount - then.amount) / then.amount * 100).quantize(Decimal("0.1"))


def on_or_before(days: list[datetime.date], day: datetime.date) -> datetime.date | None:
    earlier = [d for d in days if d <= day]
    return earlier[-1] if earlier else None


def accuracy(forecast: Decimal, won: Decimal) -> Decimal | None:
    if not forecast:
        return None
    return max(ZERO, 100 - abs(won - forecast) / forecast * 100).quantize(Decimal("0.1"))


def pipeline_trend(user, *, today: datetime.date, weeks: int = 12, months: int = 6) -> Trend:
    """Four queries whatever the number of snapshots, owners and days."""
    snapshots = PipelineSnapshot.objects.visible_to(user)
    start = month_before(today - datetime.timedelta(weeks=weeks)) - datetime.timedelta(days=31 * months)
    days = sorted(
        PipelineSnapshot.objects.filter(day__gte=start, day__lte=today)
        .values_list("day", flat=True)
        .distinct()
        .order_by()
    )
    latest_day = days[-1] if days else None
    wanted: set[datetime.date] = set()
    weekly: list[datetime.date] = []
    week_ago = month_ago = None
    if latest_day:
        for k in range(weeks - 1, -1, -1):
            day = on_or_before(days, latest_day - datetime.timedelta(weeks=k))
            if day and day not in weekly:
                weekly.append(day)
        week_ago = on_or_before(days, latest_day - datetime.timedelta(weeks=1))
        month_ago = on_or_before(days, month_before(latest_day))
        wanted = {*weekly, *(d for d in (week_ago, month_ago) if d)}
    totals = {
        row["day"]: Point(row["day"], row["amount"] or ZERO, row["weighted"] or ZERO, row["deals"] or 0)
        for row in snapshots.filter(day__in=wanted)
        .values("day")
        .annotate(amount=Sum("amount"), weighted=Sum("weighted"), deals=Sum("deals"))
        .order_by()
    }
    empty = {d: Point(d, ZERO, ZERO, 0) for d in wanted}
    points = {**empty, **totals}
    latest = points.get(latest_day) if latest_day else None
    before_week = points.get(week_ago) if week_ago else None
    before_month = points.get(month_ago) if month_ago else None
    return Trend(
        points=[points[d] for d in weekly],
        latest=latest,
        week_ago=before_week,
        month_ago=before_month,
        change_week=change(latest, before_week),
        change_month=change(latest, before_month),
        forecasts=forecast_accuracy(user, snapshots, today=today, months=months),
    )


def forecast_accuracy(user, snapshots, *, today: datetime.date, months: int) -> list[MonthForecast]:
    """For each of the last ``months`` closed months with a snapshot on its first day."""
    firsts = []
    month = today.replace(day=1)
    for _ in range(months):
        month = month_before(month)
        firsts.append(month)
    firsts.reverse()
    forecast = {
        row["day"]: row["weighted"]
        for row in snapshots.filter(day__in=firsts, close_month=F("day"))
        .values("day")
        .annotate(weighted=Sum("weighted"))
        .order_by()
    }
    snapped = set(
        PipelineSnapshot.objects.filter(day__in=firsts).values_list("day", flat=True).distinct().order_by()
    )
    won = {
        row["month"]: row["amount"]
        for row in Deal.objects.visible_to(user)
        .won()
        .filter(closed_on__gte=firsts[0], closed_on__lt=today.replace(day=1))
        .annotate(month=TruncMonth("closed_on"))
        .values("month")
        .annotate(amount=Sum("amount"))
        .order_by()
    }
    rows = []
    for first in firsts:
        if first not in snapped:
            continue
        predicted = forecast.get(first) or ZERO
        actual = won.get(first) or ZERO
        rows.append(MonthForecast(first, predicted, actual, accuracy(predicted, actual)))
    return rows
