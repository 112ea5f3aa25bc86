"""Keeping the rollups (``sales.models.Rollup``) equal to the raw tables.

Every figure a rollup holds is defined once, as a grouped query over the raw rows (``FACTS``). The
same query serves twice:

- after a write, over the few rows the write touched: ``Bracket`` reads their facts before and
  after the write and adds the difference to the rollups, in the write's transaction, with an
  ``INSERT … ON CONFLICT DO UPDATE SET n = n + …`` (concurrent writers add up, none is lost);
- in ``rebuild()``, over every row, as one ``INSERT … SELECT`` per figure.

Writes reach the brackets from the model layer (``Tracked.save``/``delete``, ``Deal._write``,
``StageChange.save``); bulk writes (imports, demo data) bracket their ids themselves or rebuild.
Brackets nest: a write inside a bracket that already covers its rows adds nothing of its own.
"""

import datetime
import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, fields

from django.conf import settings
from django.db import connections, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Round, TruncDate, TruncMonth
from django.utils import timezone

from sales.bulk import transaction_setting

# The columns of a fact row, in the order of the rollup table's key and measures.
KEY_COLUMNS = ("kind", "day", "key", "tag", "owner_id", "product_id", "region", "channel")
MEASURES = ("n", "cents", "micros")
# Product, region and channel of the per-owner rows, which add up every product, region and channel.
ALL_DIMS = (0, "", "")
# A rollup cell: the grain, then the day and the rest of a fact's key in the same order.
CELL_COLUMNS = ("grain", "day", "kind", "key", "tag", "owner_id", "product_id", "region", "channel")


def _cents(expression) -> Cast:
    """The sum of a money column in whole cents (exact on every backend)."""
    hundredfold = ExpressionWrapper(Sum(expression) * Value(100), output_field=DecimalField())
    return Cast(Round(hundredfold), BigIntegerField())


class DaysBetween(Func):
    """Whole days from the second date to the first, as an integer."""

    output_field = BigIntegerField()
    template = "CAST(julianday(%(expressions)s) AS INTEGER)"
    arg_joiner = ") - julianday("

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)


def _text(path: str):
    return Coalesce(F(path), Value(""))


def _fact(qs: QuerySet, kind: str, day, key, tag, owner, product, region, channel, *, n, cents, micros):
    """``qs`` grouped into fact rows with the column aliases ``f_<name>``."""
    return (
        qs.values(
            f_kind=Value(kind),
            f_day=day,
            f_key=Coalesce(key, Value(0), output_field=BigIntegerField()),
            f_tag=tag,
            f_owner_id=owner,
            f_product_id=Coalesce(product, Value(0), output_field=BigIntegerField()),
            f_region=region,
            f_channel=channel,
        )
        .annotate(f_n=n, f_cents=cents, f_micros=micros)
        .order_by()
    )


# The expected close of an open deal that has none: a day no period reaches.
NO_DATE = datetime.date(9999, 12, 31)


def deal_facts(deals: QuerySet) -> list[QuerySet]:
    """Open deals by expected close; won and lost deals by the day they closed; won ones by their
    cycle too."""
    from sales.models import Deal

    dims = {"owner": F("owner_id"), "product": F("product_id"), "region": _text("customer__region")}
    dims["channel"] = _text("channel")
    closed = deals.filter(closed_on__isnull=False, opened_on__isnull=False)
    won, lost = closed.filter(status=Deal.Status.WON), closed.filter(status=Deal.Status.LOST)
    cycle = DaysBetween(F("closed_on"), F("opened_on"))
    none = Value(0, output_field=BigIntegerField())
    common = {"n": Count("pk"), "micros": none}
    open_ = deals.filter(status=Deal.Status.OPEN)
    slipped = Q(expected_close__gt=F("original_expected_close"))
    tag = Case(
        When(Q(probability_overridden=True) & slipped, then=Value("os")),
        When(probability_overridden=True, then=Value("o")),
        When(slipped, then=Value("s")),
        default=Value(""),
    )
    weighted = Cast(
        Round(
            ExpressionWrapper(Sum(F("amount") * F("probability")) * Value(10000), output_field=DecimalField())
        ),
        BigIntegerField(),
    )
    return [
        # Open deals by expected close (none: NO_DATE), stage, overridden (o) and slipped (s):
        # count, amount, and amount × probability in cents × hundredths of a percent.
        _fact(
            open_,
            "open",
            Coalesce(F("expected_close"), Value(NO_DATE)),
            F("stage_id"),
            tag,
            **dims,
            n=Count("pk"),
            cents=_cents("amount"),
            micros=weighted,
        ),
        _fact(won, "won", F("closed_on"), none, Value(""), **dims, cents=_cents("amount"), **common),
        _fact(
            lost,
            "lost",
            F("closed_on"),
            F("lost_reason_id"),
            Value(""),
            **dims,
            cents=_cents("amount"),
            **common,
        ),
        _fact(won, "cycle", F("closed_on"), cycle, Value(""), **dims, cents=none, **common),
    ]


def change_facts(changes: QuerySet) -> list[QuerySet]:
    """Per deal cohort (the day it opened): the stages reached, and the ended stays in each."""
    dims = {"owner": F("deal__owner_id"), "product": F("deal__product_id")}
    dims |= {"region": _text("deal__customer__region"), "channel": _text("deal__channel")}
    none = Value(0, output_field=BigIntegerField())
    opened = changes.filter(deal__opened_on__isnull=False)
    return [
        _fact(
            opened, "reached", F("deal__opened_on"), F("to_stage_id"), Value(""), **dims,
            n=Count("deal_id", distinct=True), cents=none, micros=none,
        ),
        _fact(
            opened.filter(stay_micros__isnull=False), "stay", F("deal__opened_on"), F("from_stage_id"),
            Value(""), **dims, n=Count("pk"), cents=none, micros=Sum("stay_micros"),
        ),
    ]  # fmt: skip


def record_facts(records: QuerySet) -> list[QuerySet]:
    """Sales records by the day sold, with region and channel of their customer."""
    dims = {"owner": F("owner_id"), "product": F("product_id"), "region": _text("customer__region")}
    dims["channel"] = _text("customer__channel")
    none = Value(0, output_field=BigIntegerField())
    common = {"n": Count("pk"), "cents": _cents("amount"), "micros": none}
    return [
        _fact(records.filter(reverses__isnull=True), "sale", F("sold_on"), none, Value(""), **dims, **common),
        _fact(
            records.filter(reverses__isnull=False),
            "reversal",
            F("sold_on"),
            none,
            Value(""),
            **dims,
            **common,
        ),
    ]


def activity_facts(activities: QuerySet) -> list[QuerySet]:
    """Activities by the business day due and the day done; region and channel from their deal
    when they have one, else from their customer, as the dashboard's activity filter reads them."""
    tz = timezone.get_default_timezone()
    on_deal = Q(deal__isnull=False)
    region = Case(When(on_deal, then=_text("deal__customer__region")), default=_text("customer__region"))
    channel = Case(When(on_deal, then=_text("deal__channel")), default=_text("customer__channel"))
    dims = {"owner": F("owner_id"), "product": F("deal__product_id"), "region": region, "channel": channel}
    none = Value(0, output_field=BigIntegerField())
    common = {"n": Count("pk"), "cents": none, "micros": none}
    due, done = TruncDate("due_at", tzinfo=tz), TruncDate("done_at", tzinfo=tz)
    return [
        _fact(activities.filter(due_at__isnull=False), "planned", due, none, F("kind"), **dims, **common),
        _fact(activities.filter(done_at__isnull=False), "done", done, none, F("kind"), **dims, **common),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# What a write touches, and the facts of it


@dataclass
class Touch:
    """Rows a write may change the facts of: ``deals`` (with their stage changes), the sales records
    and activities of the deals in ``families``, customers (with everything of theirs), and single
    sales records and activities."""

    deals: set = field(default_factory=set)
    ledgers: set = field(default_factory=set)  # deals whose stage changes are read
    families: set = field(default_factory=set)
    customers: set = field(default_factory=set)
    records: set = field(default_factory=set)
    activities: set = field(default_factory=set)

    def covers(self, other: "Touch") -> bool:
        return all(getattr(other, name) <= getattr(self, name) for name in TOUCH_SETS)

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in TOUCH_SETS)


TOUCH_SETS = tuple(f.name for f in fields(Touch))


def _querysets(touch: Touch, using: str):
    """The raw rows of ``touch``: deals, stage changes, records, activities."""
    from sales.models import Activity, Deal, SalesRecord, StageChange

    customers = touch.customers
    deals = Deal.objects.using(using).filter(Q(pk__in=touch.deals) | Q(customer_id__in=customers))
    changes = StageChange.objects.using(using).filter(
        Q(deal_id__in=touch.ledgers) | Q(deal__customer_id__in=customers)
    )
    records = SalesRecord.objects.using(using).filter(
        Q(pk__in=touch.records) | Q(deal_id__in=touch.families) | Q(customer_id__in=customers)
    )
    activities = Activity.objects.using(using).filter(
        Q(pk__in=touch.activities)
        | Q(deal_id__in=touch.families)
        | Q(customer_id__in=customers)
        | Q(deal__customer_id__in=customers)
    )
    return deals, changes, records, activities


def facts_of(touch: Touch, using: str) -> dict[tuple, list[int]]:
    """The facts of ``touch``'s rows as they are now: {(kind, day, key, ...): [n, cents, micros]}."""
    totals: dict[tuple, list[int]] = {}
    ids = [sorted(i for i in getattr(touch, name) if i is not None) for name in TOUCH_SETS]
    if not any(ids):
        return totals
    sql, params, slots = _statement(tuple(len(i) for i in ids), using)
    values = [p if s is None else ids[s[0]][s[1]] for p, s in zip(params, slots, strict=True)]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, values)
        columns = [column[0] for column in cursor.description]
        at = {name: columns.index(f"f_{name}") for name in (*KEY_COLUMNS, *MEASURES)}
        for row in cursor.fetchall():
            k = tuple(row[at[c]] for c in KEY_COLUMNS)
            k = (k[0], _as_date(k[1]), _as_int(k[2]), *k[3:])
            total = totals.setdefault(k, [0, 0, 0])
            for i, m in enumerate(MEASURES):
                total[i] += int(row[at[m]] or 0)
    return totals


# Stand-ins for the ids while a statement is compiled: no table holds a negative id.
_SENTINEL = -(10**15)
_statements: dict[tuple, tuple[str, list, list]] = {}


def _statement(sizes: tuple[int, ...], using: str) -> tuple[str, list, list]:
    """The facts query for a touch with ``sizes`` ids in each of its sets, compiled once per shape.

    Compiling the UNION of up to ten grouped querysets costs more than running it, and every write
    runs it twice, so it is compiled with stand-in ids and kept: the SQL, its parameters, and for
    each parameter the (set, place) of the id it stands for, or None for a constant."""
    connection = connections[using]
    zone = (settings.USE_TZ, timezone.get_default_timezone_name())
    key = (using, connection.vendor, connection.settings_dict["NAME"], *zone, *sizes)
    if key in _statements:
        return _statements[key]
    stand_ins = {}
    sets = {}
    for s, (name, size) in enumerate(zip(TOUCH_SETS, sizes, strict=True)):
        sets[name] = set()
        for place in range(size):
            value = _SENTINEL - s * 10**6 - place
            stand_ins[value] = (s, place)
            sets[name].add(value)
    touch = Touch(**sets)
    deals, changes, records, activities = _querysets(touch, using)
    parts = []
    if touch.deals or touch.customers:
        parts += deal_facts(deals)
    if touch.ledgers or touch.customers:
        parts += change_facts(changes)
    if touch.records or touch.families or touch.customers:
        parts += record_facts(records)
    if touch.activities or touch.families or touch.customers:
        parts += activity_facts(activities)
    # One query: the grouped parts have the same columns, so they go as one UNION ALL.
    union = parts[0].union(*parts[1:], all=True)
    sql, params = union.query.get_compiler(using=using).as_sql()
    slots = [stand_ins.get(p) if type(p) is int else None for p in params]
    if len(_statements) >= 512:
        _statements.clear()
    _statements[key] = (sql, list(params), slots)
    return _statements[key]


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


def _as_int(value) -> int:
    return int(value or 0)


# ---------------------------------------------------------------------------------------------
# Adding differences to the rollups


def add(delta: dict[tuple, list[int]], using: str) -> None:
    """Add ``delta`` to the day rows and the month rows, one statement per 500 cells."""
    from sales.models import Rollup

    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    G = Rollup.Grain
    for (kind, day, key, tag, owner, *dims), measures in delta.items():
        month = day.replace(day=1)
        for grain, first, rest in (
            (G.DAY, day, dims),
            (G.MONTH, month, dims),
            (G.OWNER_DAY, day, ALL_DIMS),
            (G.OWNER_MONTH, month, ALL_DIMS),
        ):
            cell = cells[(str(grain), first, kind, key, tag, owner, *rest)]
            for i, value in enumerate(measures):
                cell[i] += value
    # In one order for every writer: two transactions adding to the same cells wait for each other
    # instead of deadlocking.
    rows = sorted((*k, *v) for k, v in cells.items() if any(v))
    connection = connections[using]
    q = connection.ops.quote_name
    table = q(Rollup._meta.db_table)
    key_sql = ", ".join(q(c) for c in CELL_COLUMNS)
    columns = key_sql + ", " + ", ".join(q(m) for m in MEASURES)
    updates = ", ".join(f"{q(m)} = {table}.{q(m)} + excluded.{q(m)}" for m in MEASURES)
    placeholder = "(" + ", ".join(["%s"] * (len(CELL_COLUMNS) + len(MEASURES))) + ")"
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 500):
            chunk = rows[i : i + 500]
            cursor.execute(
                # Names from the model's metadata; every value is a parameter.
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholder] * len(chunk))} "  # noqa: S608
                f"ON CONFLICT ({key_sql}) DO UPDATE SET {updates}",
                [value for row in chunk for value in row],
            )


def difference(after: dict, before: dict) -> dict:
    delta = {}
    for k in after.keys() | before.keys():
        a, b = after.get(k, (0, 0, 0)), before.get(k, (0, 0, 0))
        d = [x - y for x, y in zip(a, b, strict=True)]
        if any(d):
            delta[k] = d
    return delta


# ---------------------------------------------------------------------------------------------
# Brackets around writes

_active = threading.local()


@dataclass
class Open:
    """A bracket being run: what it reads after the body, and what it read before it."""

    touch: Touch
    before: dict


def _stack() -> list[Open]:
    if not hasattr(_active, "stack"):
        _active.stack = []
    return _active.stack


def suspended_flag() -> bool:
    return getattr(_active, "suspended", False)


@contextmanager
def suspended():
    """Writes inside add nothing to the rollups: for bulk loads that ``rebuild()`` afterwards."""
    previous = suspended_flag()
    _active.suspended = True
    try:
        yield
    finally:
        _active.suspended = previous


def covered(touch: Touch) -> bool:
    """True when the rollups need nothing for ``touch`` now: suspended, or an open bracket covers it."""
    return suspended_flag() or not touch or any(outer.touch.covers(touch) for outer in _stack())


@contextmanager
def bracket(touch: Touch, using: str = "default"):
    """Add to the rollups what the body changes in the facts of ``touch``'s rows."""
    if covered(touch):
        yield
        return
    with transaction.atomic(using=using, savepoint=False):
        current = Open(touch=Touch(**{k: set(v) for k, v in vars(touch).items()}), before={})
        current.before = facts_of(current.touch, using)
        _stack().append(current)
        try:
            yield
        finally:
            _stack().pop()
        add(difference(facts_of(current.touch, using), current.before), using)


# ---------------------------------------------------------------------------------------------
# Saves and deletes of single rows (forms, admin, API, the model layer)

# The fields whose change moves a row's facts; a save that changes none of them reads nothing.
WATCHED = {
    "deal": ("owner_id", "product_id", "customer_id", "channel", "status", "amount", "opened_on",
             "closed_on", "lost_reason_id", "stage_id", "probability", "probability_overridden",
             "expected_close", "original_expected_close"),
    "salesrecord": ("owner_id", "product_id", "customer_id", "amount", "sold_on", "reverses_id"),
    "activity": ("owner_id", "deal_id", "customer_id", "kind", "due_at", "done_at"),
    "customer": ("region", "channel"),
}  # fmt: skip


def _touch_of(instance, *, deleting: bool = False) -> Touch:
    name = instance._meta.model_name
    if name == "deal" and getattr(instance, "_rollup_new", False):
        return Touch(deals={instance.pk})  # nothing hangs on a deal just made
    if name == "deal":
        pk = {instance.pk}
        return Touch(deals=pk, ledgers=pk, families=set() if deleting else pk)
    if name == "customer":
        return Touch(customers={instance.pk})
    if name == "salesrecord":
        return Touch(records={instance.pk})
    return Touch(activities={instance.pk})


def _unchanged(instance) -> bool:
    """The watched fields hold what was last read from the database (``Tracked`` remembers it)."""
    stored = getattr(instance, "_history_before", {})
    names = WATCHED[instance._meta.model_name]
    return all(n in stored for n in names) and all(stored[n] == getattr(instance, n) for n in names)


def _adopted(instance, using: str) -> bool:
    """Whether an open bracket takes in this save of a sales record or activity: one whose deals'
    families or customers hold the row's deal or customer, before or after the save. The bracket
    then reads the row by id after its body too, and if it did not read it before, it reads it now."""
    stored = getattr(instance, "_history_before", {})
    old_deal, old_customer = (
        stored.get("deal_id", instance.deal_id),
        stored.get("customer_id", instance.customer_id),
    )
    for outer in _stack():
        families, customers = outer.touch.families, outer.touch.customers
        if not ({instance.deal_id, old_deal} & families or {instance.customer_id, old_customer} & customers):
            continue
        ids = outer.touch.records if instance._meta.model_name == "salesrecord" else outer.touch.activities
        adding = instance._state.adding or instance.pk is None
        if (
            not adding
            and instance.pk not in ids
            and old_deal not in families
            and old_customer not in customers
        ):
            for k, measures in facts_of(_touch_of(instance), using).items():
                total = outer.before.setdefault(k, [0, 0, 0])
                for i, value in enumerate(measures):
                    total[i] += value
        if not adding:
            ids.add(instance.pk)
        return True
    return False


def _before(instance, using: str, *, deleting: bool = False) -> None:
    """Read the facts of the row (and what hangs on it) before it is written, unless nothing can
    change: suspended, covered by an open bracket, or no watched field changed."""
    instance._rollup_before = None
    name = instance._meta.model_name
    adding = instance._state.adding or instance.pk is None
    if suspended_flag() or (adding and name == "customer"):
        return
    if name in ("salesrecord", "activity") and _adopted(instance, using):
        return
    instance._rollup_new = adding
    if adding:
        instance._rollup_before = {}
        return
    if not deleting and _unchanged(instance):
        return
    touch = _touch_of(instance, deleting=deleting)
    if covered(touch):
        return
    instance._rollup_before = facts_of(touch, using)


def _after(instance, using: str, *, deleting: bool = False) -> None:
    state = getattr(instance, "_rollup_before", None)
    if state is None:
        return
    instance._rollup_before = None
    add(difference(facts_of(_touch_of(instance, deleting=deleting), using), state), using)


def _pre_save(sender, instance, raw=False, using="default", **kwargs):
    if not raw:
        _before(instance, using)


def _post_save(sender, instance, raw=False, using="default", **kwargs):
    if not raw:
        _after(instance, using)


def _pre_delete(sender, instance, using="default", **kwargs):
    _before(instance, using, deleting=True)


def _post_delete(sender, instance, using="default", **kwargs):
    _after(instance, using, deleting=True)


def connect() -> None:
    """Keep the rollups with every save and delete of the models their facts come from."""
    from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

    from customers.models import Customer
    from sales.models import Activity, Deal, SalesRecord

    for model in (Deal, SalesRecord, Activity, Customer):
        uid = f"rollups-{model._meta.label_lower}"
        pre_save.connect(_pre_save, sender=model, dispatch_uid=uid)
        post_save.connect(_post_save, sender=model, dispatch_uid=uid)
        pre_delete.connect(_pre_delete, sender=model, dispatch_uid=uid)
        post_delete.connect(_post_delete, sender=model, dispatch_uid=uid)


# ---------------------------------------------------------------------------------------------
# Time in stage, stored on each stage change


def stay_after(last: dict | None, from_stage_id, at: datetime.datetime) -> int | None:
    """The stay a change at ``at`` ends, in microseconds: the time since the deal's ``last`` change
    ({"status", "changed_at"}); none for the deal's first change, an entry, or a step after a loss."""
    if last is None or from_stage_id is None or last["status"] == "lost":
        return None
    delta = at - last["changed_at"]
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def fill_stays(deal_ids, using: str = "default") -> None:
    """Set ``stay_micros`` on the stage changes of these deals: the time since the deal's previous
    change, on a change that ends a stay (it leaves a stage, and the deal was not lost before it)."""
    from sales.models import StageChange

    ids = sorted(set(deal_ids))
    for i in range(0, len(ids), 2000):
        rows = (
            StageChange.objects.using(using)
            .filter(deal_id__in=ids[i : i + 2000])
            .order_by("deal_id", "changed_at", "pk")
            .values_list("pk", "deal_id", "from_stage_id", "status", "changed_at", "stay_micros")
        )
        changed, previous = [], None
        for pk, deal_id, from_stage, status, at, stored in rows:
            last = (
                {"status": previous[1], "changed_at": previous[2]}
                if previous and previous[0] == deal_id
                else None
            )
            stay = stay_after(last, from_stage, at)
            if stay != stored:
                changed.append(StageChange(pk=pk, stay_micros=stay))
            previous = (deal_id, status, at)
        StageChange.objects.using(using).bulk_update(changed, ["stay_micros"], batch_size=1000)


def fill_missing_stays(using: str = "default") -> None:
    """``fill_stays`` for the deals with a change that may lack its stay: rows written in bulk."""
    from sales.models import StageChange

    deals = (
        StageChange.objects.using(using)
        .filter(stay_micros__isnull=True, from_stage__isnull=False)
        .values_list("deal_id", flat=True)
        .order_by()
        .distinct()
    )
    if connections[using].vendor == "postgresql":
        _fill_stays_in_sql(deals, using)
    else:
        fill_stays(list(deals), using)


# The stays of a set of deals' changes in one statement: a window pairs each change with the one
# before it. Only table and column names are written in; the deals come as a subquery's SQL.
STAYS_SQL = """
UPDATE {table} AS c SET stay_micros = s.stay
FROM (
    SELECT id,
        CASE WHEN from_stage_id IS NOT NULL AND prev_status IS NOT NULL AND prev_status <> 'lost'
            THEN (EXTRACT(EPOCH FROM changed_at - prev_at) * 1000000)::bigint END AS stay
    FROM (
        SELECT id, from_stage_id, changed_at,
            LAG(status) OVER w AS prev_status, LAG(changed_at) OVER w AS prev_at
        FROM {table} WHERE {where}
        WINDOW w AS (PARTITION BY deal_id ORDER BY changed_at, id)
    ) x
) s
WHERE c.id = s.id AND c.stay_micros IS DISTINCT FROM s.stay
"""


def _fill_stays_in_sql(deals: QuerySet | None, using: str) -> None:
    """``fill_stays`` on PostgreSQL for the deals of ``deals`` (a values_list of deal ids; ``None``:
    every deal), set-based."""
    from sales.models import StageChange

    connection = connections[using]
    where, params = "TRUE", ()
    if deals is not None:
        sql, params = deals.query.get_compiler(using=using).as_sql()
        where = f"deal_id IN ({sql})"
    with connection.cursor() as cursor:
        cursor.execute(
            STAYS_SQL.format(table=connection.ops.quote_name(StageChange._meta.db_table), where=where), params
        )


# ---------------------------------------------------------------------------------------------
# Rebuilding from scratch


def rebuild(using: str = "default", *, stays: bool = False) -> int:
    """Recompute every rollup row from the raw tables; returns the number of rows written.

    The stays of stage changes written in bulk are filled first; ``stays=True`` refills them all.
    """
    from sales.models import Activity, Deal, Rollup, SalesRecord, StageChange

    # Memory enough for the groupings of millions of rows to run in memory rather than spill to disk.
    with transaction.atomic(using=using), transaction_setting("work_mem", "256MB", using):
        if stays and connections[using].vendor == "postgresql":
            _fill_stays_in_sql(None, using)
        elif stays:
            fill_stays(Deal.objects.using(using).values_list("pk", flat=True), using)
        else:
            fill_missing_stays(using)
        Rollup.objects.using(using).all().delete()
        parts = (
            deal_facts(Deal.objects.using(using).all())
            + change_facts(StageChange.objects.using(using).all())
            + record_facts(SalesRecord.objects.using(using).all())
            + activity_facts(Activity.objects.using(using).all())
        )
        for qs in parts:
            _insert_select(qs, Rollup.Grain.DAY, using)
        G = Rollup.Grain
        _insert_select(_regrouped(using, G.DAY, month=True), G.MONTH, using)
        _insert_select(_regrouped(using, G.DAY, dims=False), G.OWNER_DAY, using)
        _insert_select(_regrouped(using, G.MONTH, dims=False), G.OWNER_MONTH, using)
        return Rollup.objects.using(using).count()


def _regrouped(using: str, grain: str, *, month: bool = False, dims: bool = True) -> QuerySet:
    """The rows of ``grain`` summed by month (``month``) or over every product, region and channel
    (``dims=False``), as fact rows."""
    from sales.models import Rollup

    blank = {"f_product_id": Value(0), "f_region": Value(""), "f_channel": Value("")}
    kept = {"f_product_id": F("product_id"), "f_region": F("region"), "f_channel": F("channel")}
    return (
        Rollup.objects.using(using)
        .filter(grain=grain)
        .values(
            f_kind=F("kind"),
            f_day=TruncMonth("day") if month else F("day"),
            f_key=F("key"),
            f_tag=F("tag"),
            f_owner_id=F("owner_id"),
            **(kept if dims else blank),
        )
        .annotate(f_n=Sum("n"), f_cents=Sum("cents"), f_micros=Sum("micros"))
        .order_by()
    )


def _insert_select(qs: QuerySet, grain: str, using: str) -> None:
    """INSERT INTO rollup SELECT the fact rows of ``qs`` (its SQL as Django compiles it)."""
    from sales.models import Rollup

    connection = connections[using]
    q = connection.ops.quote_name
    sql, params = qs.query.get_compiler(using=using).as_sql()
    columns = [*CELL_COLUMNS, *MEASURES]
    keys = ", ".join(f"f.{q('f_' + c)}" for c in CELL_COLUMNS[1:])
    sums = ", ".join(f"SUM(f.{q('f_' + m)})" for m in MEASURES)
    # Grouped again by the cell: the ORM groups by the columns under an expression (a region and
    # its blank, say), which can give one cell in two rows.
    with connection.cursor() as cursor:
        cursor.execute(
            # Names from the model's metadata, the SELECT compiled by the ORM with its parameters.
            f"INSERT INTO {q(Rollup._meta.db_table)} ({', '.join(q(c) for c in columns)}) "  # noqa: S608
            f"SELECT %s, {keys}, {sums} FROM ({sql}) f GROUP BY {keys}",
            (grain, *params),
        )


__all__ = [
    "Touch",
    "add",
    "bracket",
    "difference",
    "facts_of",
    "fill_stays",
    "rebuild",
    "suspended",
]
