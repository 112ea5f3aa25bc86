"""The dashboard's period figures read from the rollups instead of the raw rows.

Each function here gives what its namesake in ``pipeline``, ``people`` or ``actuals`` computes from
deals, stage changes, sales records and activities, to the cent and the count (a property test
compares them), in a time that depends on the length of the period and the number of reps,
products, regions and channels, not on the number of deals. A period reads whole months from the
month rows and its ragged ends from the day rows.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BooleanField, Case, Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth

from sales.metrics.actuals import Actuals, collect_actuals
from sales.metrics.people import OwnerActivities
from sales.metrics.pipeline import (
    OWNER_NAMES,
    ZERO,
    Forecast,
    ForecastMonth,
    FunnelStep,
    LostReasonRow,
    MonthlySeries,
    OwnerDeals,
    SalesCycle,
    StageTime,
    cycle_from_histogram,
    funnel_stages,
    owner_name,
)
from sales.metrics.scope import (
    Scope,
    Sources,
    add_months,
    cents,
    deal_q,
    month_start,
    months_between,
    owner_q,
    ratio,
    stale_q,
    to_month,
)

DAY, MONTH, OWNER_DAY, OWNER_MONTH = "d", "m", "D", "M"
MICROS_PER_DAY = Decimal(86_400_000_000)


def grains(scope: Scope, *, by_product: bool = False) -> tuple[str, str]:
    """The day and month grains a scope reads: the per-owner rows unless it filters by product,
    category, region or channel, or the figure is split by product (``by_product``)."""
    if by_product or scope.product_id or scope.category or scope.region or scope.channel:
        return DAY, MONTH
    return OWNER_DAY, OWNER_MONTH


def period_q(start: datetime.date, end: datetime.date, scope: Scope, *, by_product: bool = False) -> Q:
    """The rollup rows that add up to [start, end]: month rows for the whole months inside it, day
    rows for the days before the first and after the last whole month."""
    day, month = grains(scope, by_product=by_product)
    first = start if start.day == 1 else add_months(start, 1)
    after = end + datetime.timedelta(days=1)
    last = month_start(after)  # the first day not in a whole month of the period
    if first >= last:
        return Q(grain=day, day__gte=start, day__lte=end)
    return (
        Q(grain=month, day__gte=first, day__lt=last)
        | Q(grain=day, day__gte=start, day__lt=first)
        | Q(grain=day, day__gte=last, day__lte=end)
    )


def scope_q(scope: Scope) -> Q:
    """The scope's filters on rollup rows, as ``deal_q``, ``record_q`` and ``activity_q`` apply
    them to the raw rows (the rows already carry the region and channel each of those reads)."""
    from sales.models import Product

    q = owner_q(scope)
    if scope.product_id:
        q &= Q(product_id=scope.product_id)
    if scope.category:
        q &= Q(product_id__in=Product.objects.filter(category__iexact=scope.category).values("pk"))
    if scope.region:
        q &= Q(region__iexact=scope.region)
    if scope.channel:
        q &= Q(channel__iexact=scope.channel)
    return q


def _rows(sources: Sources, scope: Scope, kinds: tuple[str, ...], start=None, by_product=False) -> QuerySet:
    period = period_q(start or scope.start, scope.end, scope, by_product=by_product)
    # A cell whose rows all moved elsewhere stays behind with nothing in it.
    return sources.rollups.filter(period, scope_q(scope), kind__in=kinds).exclude(n=0)


def money(value) -> Decimal:
    return cents(Decimal(int(value or 0)) / 100)


@dataclass(frozen=True)
class Closed:
    """Deals won and lost in the period, per rep, per lost reason, and the won deals' cycle."""

    by_owner: dict[int, dict]
    reasons: tuple[LostReasonRow, ...]
    cycle: SalesCycle


def closed_deals(sources: Sources, scope: Scope, reasons: QuerySet) -> Closed:
    """One grouped query (rep × figure × key) over won, lost and cycle rows; ``reasons`` (the lost
    reasons the user may see) give the names."""
    rows = (
        _rows(sources, scope, ("won", "lost", "cycle"))
        .values("owner", *OWNER_NAMES, "kind", "key")
        .annotate(n=Sum("n"), c=Sum("cents"))
        .order_by()
    )
    owners: dict[int, dict] = {}
    lost: dict[int, list] = defaultdict(lambda: [0, 0])
    histogram: dict[int, int] = defaultdict(int)
    for r in rows:
        mine = owners.setdefault(r["owner"], {"name": owner_name(r), "won_n": 0, "won_c": 0, "lost_n": 0})
        if r["kind"] == "won":
            mine["won_n"] += r["n"]
            mine["won_c"] += r["c"]
        elif r["kind"] == "lost":
            mine["lost_n"] += r["n"]
            lost[r["key"]][0] += r["n"]
            lost[r["key"]][1] += r["c"]
        else:
            histogram[r["key"]] += r["n"]
    return Closed(
        by_owner={k: v for k, v in owners.items() if v["won_n"] or v["lost_n"]},
        reasons=_reason_rows(lost, reasons),
        cycle=cycle_from_histogram(sorted((d, n) for d, n in histogram.items() if n)),
    )


def _reason_rows(lost: dict[int, list], reasons: QuerySet) -> tuple[LostReasonRow, ...]:
    found = {r.pk: r for r in reasons.filter(pk__in=[k for k in lost if k])} if any(lost) else {}
    result, order = [], {}
    for key, (n, c) in lost.items():
        if not n:
            continue
        reason = found.get(key)
        result.append(
            LostReasonRow(
                reason_id=reason.pk if reason else None,
                name=reason.name if reason else "",
                local_name=reason.local_name if reason else "",
                deals=n,
                amount=money(c),
            )
        )
        order[reason.pk if reason else None] = reason.order if reason else 0
    result.sort(key=lambda r: (-r.deals, -r.amount, order[r.reason_id], r.name))
    return tuple(result)


def merge_owners(open_rows: tuple[OwnerDeals, ...], closed: Closed) -> tuple[OwnerDeals, ...]:
    """The open pipeline per rep (read from the deals, it is about now) with the period's won and
    lost from the rollups, one row per rep that has either."""
    by_id = {r.owner_id: r for r in open_rows}
    result = []
    for owner_id in by_id.keys() | closed.by_owner.keys():
        live = by_id.get(owner_id)
        done = closed.by_owner.get(owner_id, {"won_n": 0, "won_c": 0, "lost_n": 0, "name": ""})
        result.append(
            OwnerDeals(
                owner_id=owner_id,
                name=live.name if live else done["name"],
                won_n=done["won_n"],
                won_sum=money(done["won_c"]),
                lost_n=done["lost_n"],
                open_n=live.open_n if live else 0,
                open_sum=live.open_sum if live else ZERO,
                weighted=live.weighted if live else ZERO,
                stale=live.stale if live else 0,
                overdue=live.overdue if live else 0,
                slipped=live.slipped if live else 0,
                at_risk=live.at_risk if live else 0,
            )
        )
    result.sort(key=lambda r: r.owner_id)
    return tuple(result)


def stage_flow(
    sources: Sources, scope: Scope, stages: list
) -> tuple[tuple[FunnelStep, ...], tuple[StageTime, ...]]:
    """The funnel and the time in each stage over the deals opened in the period: one grouped query."""
    rows = (
        _rows(sources, scope, ("reached", "stay"))
        .values("kind", "key")
        .annotate(n=Sum("n"), micros=Sum("micros"))
        .order_by()
    )
    reached: dict[int, int] = defaultdict(int)
    stays: dict[int, list] = defaultdict(lambda: [0, 0])
    for r in rows:
        if r["kind"] == "reached":
            reached[r["key"]] += r["n"]
        else:
            stays[r["key"]][0] += r["n"]
            stays[r["key"]][1] += r["micros"]
    steps, previous = [], None
    for stage in funnel_stages(stages):
        n = reached.get(stage.pk, 0)
        conversion = ratio(n, previous) if previous is not None else None
        steps.append(
            FunnelStep(
                stage_id=stage.pk, key=stage.key, name=stage.display_name, reached=n, conversion=conversion
            )
        )
        previous = n
    times = []
    for stage in stages:
        n, micros = stays.get(stage.pk, (0, 0))
        mean = ratio(Decimal(micros) / n, MICROS_PER_DAY, "0.1") if n else None
        times.append(
            StageTime(stage_id=stage.pk, key=stage.key, name=stage.display_name, stays=n, mean_days=mean)
        )
    return tuple(steps), tuple(times)


def activities_by_owner(sources: Sources, scope: Scope) -> tuple[OwnerActivities, ...]:
    """Activities due and done in the period per rep and type: one grouped query."""
    rows = (
        _rows(sources, scope, ("planned", "done"))
        .values("owner", *OWNER_NAMES, "tag", "kind")
        .annotate(n=Sum("n"))
        .order_by()
    )
    cells: dict[tuple, dict] = {}
    for r in rows:
        cell = cells.setdefault((r["owner"], r["tag"]), {"name": owner_name(r), "planned": 0, "done": 0})
        cell[r["kind"]] += r["n"]
    return tuple(
        OwnerActivities(owner_id=owner, name=c["name"], kind=tag, planned=c["planned"], done=c["done"])
        for (owner, tag), c in cells.items()
        if c["planned"] or c["done"]
    )


@dataclass(frozen=True)
class Records:
    actuals: Actuals
    sales: int  # sales in the period (not reversing entries)
    reversals: int


def sales_records(sources: Sources, scope: Scope) -> Records:
    """Realised sales per rep, month and category (and the counts E is made from): one query."""
    from sales.models import Product

    category = Coalesce(
        Subquery(Product.objects.filter(pk=OuterRef("product_id")).values("category")[:1]), Value("")
    )
    rows = (
        _rows(sources, scope, ("sale", "reversal"), by_product=True)  # by category
        .values("owner", *OWNER_NAMES, "kind", month=TruncMonth("day"), category=category)
        .annotate(n=Sum("n"), c=Sum("cents"))
        .order_by()
    )
    rows = list(rows)
    counts = {"sale": 0, "reversal": 0}
    for r in rows:
        counts[r["kind"]] += r["n"]
    actuals = collect_actuals(
        (r["owner"], owner_name(r), to_month(r["month"]), r["category"], r["n"], money(r["c"])) for r in rows
    )
    return Records(actuals=actuals, sales=counts["sale"], reversals=counts["reversal"])


def won_trend(sources: Sources, scope: Scope, months: int = 12) -> MonthlySeries:
    """Won revenue per month for the ``months`` months ending with the period's last month."""
    first = add_months(month_start(scope.end), -(months - 1))
    rows = (
        _rows(sources, scope, ("won",), start=first)
        .values(month=TruncMonth("day"))
        .annotate(n=Sum("n"), c=Sum("cents"))
        .order_by()
    )
    by_month: dict[datetime.date, list] = defaultdict(lambda: [0, 0])
    for r in rows:
        cell = by_month[to_month(r["month"])]
        cell[0] += r["n"]
        cell[1] += r["c"]
    keys = months_between(first, scope.end)
    return MonthlySeries(
        months=tuple(keys),
        values=tuple(money(by_month[m][1]) if m in by_month else ZERO for m in keys),
        deals=tuple(by_month[m][0] if m in by_month else 0 for m in keys),
    )


@dataclass(frozen=True)
class OpenBook:
    """The open deals per rep, as they stand today: count, amount, weighted amount, overdue and
    slipped, and those that are either (a deal can be both)."""

    by_owner: dict[int, dict]


def _weighted(row: dict, weights: dict[int, Decimal] | None) -> Decimal:
    """amount × probability / 100 of a group of open deals: the deals' own probabilities (kept in
    ``micros`` as cents × hundredths of a percent), or the learned one of the stage."""
    if weights and "o" not in row["tag"] and row["key"] in weights:
        return Decimal(row["c"]) * weights[row["key"]] / 10_000
    return Decimal(row["m"]) / 1_000_000


def open_book(sources: Sources, scope: Scope, today: datetime.date, weights=None) -> OpenBook:
    """One grouped query over the open rows: the month rows for the whole book, and this month's
    day rows before today for the deals overdue this month."""
    this_month = month_start(today)
    day, month = grains(scope)
    rows = (
        sources.rollups.filter(scope_q(scope), kind="open")
        .exclude(n=0)
        .filter(Q(grain=month) | Q(grain=day, day__gte=this_month, day__lt=today))
        .values(
            "owner",
            *OWNER_NAMES,
            "grain",
            "key",
            "tag",
            before=Case(
                When(day__lt=this_month, then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
        )
        .annotate(n=Sum("n"), c=Sum("cents"), m=Sum("micros"))
        .order_by()
    )
    owners: dict[int, dict] = {}
    for r in rows:
        mine = owners.setdefault(r["owner"], {"name": owner_name(r), "weighted": Decimal(0)})
        for name in ("open_n", "open_c", "overdue", "slipped", "either"):
            mine.setdefault(name, 0)
        slipped = "s" in r["tag"]
        if r["grain"] == day:  # due earlier this month: overdue (the slipped ones are in the month row)
            mine["overdue"] += r["n"]
            mine["either"] += 0 if slipped else r["n"]
            continue
        mine["open_n"] += r["n"]
        mine["open_c"] += r["c"]
        mine["weighted"] += _weighted(r, weights)
        mine["slipped"] += r["n"] if slipped else 0
        mine["overdue"] += r["n"] if r["before"] else 0
        mine["either"] += r["n"] if r["before"] or slipped else 0
    return OpenBook(by_owner=owners)


def stale_counts(sources: Sources, scope: Scope, today: datetime.date, stale_days: int) -> dict[int, tuple]:
    """Per rep, the open deals gone stale (about now, so read from the deals and the recent
    activities) and those of them neither overdue nor slipped: (stale, stale alone).

    The deals are all open here, so overdue and slipped are tested without the status, which lets
    PostgreSQL answer from the open book's index alone.
    """
    overdue = Q(expected_close__lt=today)
    slipped = Q(expected_close__gt=F("original_expected_close"))
    rows = (
        sources.deals.filter(deal_q(scope))
        .filter(stale_q(today, stale_days))
        .values("owner")
        .annotate(stale=Count("pk"), alone=Count("pk", filter=~(overdue | slipped)))
        .order_by()
    )
    return {r["owner"]: (r["stale"], r["alone"]) for r in rows}


def open_owners(book: OpenBook, stale: dict[int, tuple]) -> tuple[OwnerDeals, ...]:
    """The open book and the stale counts as the per-rep rows ``deals_by_owner`` gives."""
    result = []
    for owner_id in book.by_owner.keys() | stale.keys():
        mine = book.by_owner.get(owner_id)
        if mine is None or not mine["open_n"]:
            continue
        gone, alone = stale.get(owner_id, (0, 0))
        result.append(
            OwnerDeals(
                owner_id=owner_id,
                name=mine["name"],
                won_n=0,
                won_sum=ZERO,
                lost_n=0,
                open_n=mine["open_n"],
                open_sum=money(mine["open_c"]),
                weighted=cents(mine["weighted"]),
                stale=gone,
                overdue=mine["overdue"],
                slipped=mine["slipped"],
                at_risk=mine["either"] + alone,
            )
        )
    return tuple(result)


def forecast(sources: Sources, scope: Scope, weights=None) -> Forecast:
    """Open deals by expected-close month within the period, unweighted and weighted: one query."""
    rows = (
        _rows(sources, scope, ("open",))
        .values("key", "tag", month=TruncMonth("day"))
        .annotate(n=Sum("n"), c=Sum("cents"), m=Sum("micros"))
        .order_by()
    )
    by_month: dict[datetime.date, list] = defaultdict(lambda: [0, 0, Decimal(0)])
    for r in rows:
        cell = by_month[to_month(r["month"])]
        cell[0] += r["n"]
        cell[1] += r["c"]
        cell[2] += _weighted(r, weights)
    entries = tuple(
        ForecastMonth(
            month=m,
            deals=by_month[m][0] if m in by_month else 0,
            amount=money(by_month[m][1]) if m in by_month else ZERO,
            weighted=cents(by_month[m][2]) if m in by_month else ZERO,
            target=None,
        )
        for m in months_between(scope.start, scope.end)
    )
    return Forecast(
        months=entries,
        amount=sum((e.amount for e in entries), ZERO),
        weighted=sum((e.weighted for e in entries), ZERO),
        deals=sum(e.deals for e in entries),
    )
