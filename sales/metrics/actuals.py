"""Actual against target: realised sales (the sum of sales-record amounts) beside the plans' quotas.

A won deal has its sales record, and imported or directly entered sales are records too, so the
records are what a target is measured against: every sale counts, and none counts twice.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from sales.metrics.pipeline import OWNER_NAMES, ZERO, owner_name
from sales.metrics.plans import PlanRow, monthly, plan_categories, rollup
from sales.metrics.scope import Scope, Sources, cents, months_between, ratio, record_q, to_month


@dataclass(frozen=True)
class Actuals:
    """Sales-record sums in the scope and period, whole and by rep, month and product category."""

    total: Decimal
    records: int
    by_owner: dict[int, Decimal]
    names: dict[int, str]
    by_month: dict[datetime.date, Decimal]
    by_category: dict[str, Decimal]  # keyed by the category folded to lower case; "" for none
    category_names: dict[str, str]


def sales_actuals(sources: Sources, scope: Scope) -> Actuals:
    """One grouped query (rep × month × category); the sums per axis are added up from its rows."""
    rows = (
        sources.records.filter(record_q(scope))
        .filter(sold_on__gte=scope.start, sold_on__lte=scope.end)
        .annotate(month=TruncMonth("sold_on"))
        .values("owner", *OWNER_NAMES, "month", "product__category")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by()
    )
    return collect_actuals(
        (
            r["owner"],
            owner_name(r),
            to_month(r["month"]),
            r["product__category"],
            r["n"],
            Decimal(r["total"] or 0),
        )
        for r in rows
    )


def collect_actuals(rows) -> Actuals:
    """Sum (owner, owner's name, month, category, records, amount) rows by rep, month and category."""
    total, records = Decimal(0), 0
    by_owner: dict[int, Decimal] = defaultdict(Decimal)
    by_month: dict[datetime.date, Decimal] = defaultdict(Decimal)
    by_category: dict[str, Decimal] = defaultdict(Decimal)
    names: dict[int, str] = {}
    category_names: dict[str, str] = {}
    for owner, name, month, category, n, amount in rows:
        total += amount
        records += n
        by_owner[owner] += amount
        names[owner] = name
        by_month[month] += amount
        category = (category or "").strip()
        by_category[category.casefold()] += amount
        category_names.setdefault(category.casefold(), category)
    return Actuals(
        total=cents(total),
        records=records,
        by_owner={k: cents(v) for k, v in by_owner.items()},
        names=names,
        by_month={k: cents(v) for k, v in by_month.items()},
        by_category={k: cents(v) for k, v in by_category.items()},
        category_names=category_names,
    )


@dataclass(frozen=True)
class TargetRow:
    """One line of actual against target; ``execution`` = actual / target, a fraction."""

    key: object  # a month (date), a category name or a rep id
    label: str
    actual: Decimal
    target: Decimal | None
    execution: Decimal | None


@dataclass(frozen=True)
class Execution:
    total: TargetRow
    months: tuple[TargetRow, ...]
    categories: tuple[TargetRow, ...]


def _row(key, label: str, actual: Decimal, target: Decimal | None) -> TargetRow:
    return TargetRow(key=key, label=label, actual=actual, target=target, execution=ratio(actual, target))


def execution(rows: tuple[PlanRow, ...], actuals: Actuals, scope: Scope) -> Execution:
    """Actual against target, overall, per month of the period and per product category.

    Categories are those a plan names or a sale was made in; a category-filtered view has one.
    """
    total = _row(None, "", actuals.total, rollup(rows, scope).total)
    months = months_between(scope.start, scope.end)
    month_rows = tuple(
        _row(m, "", actuals.by_month.get(m, ZERO), t)
        for m, t in zip(months, monthly(rows, scope, months), strict=True)
    )
    names = {c.casefold(): c for c in plan_categories(rows)}
    for key, name in actuals.category_names.items():
        names.setdefault(key, name)
    if scope.category:
        names = {k: v for k, v in names.items() if k == scope.category.strip().casefold()}
    category_rows = tuple(
        _row(
            name,
            name,
            actuals.by_category.get(key, ZERO),
            rollup(rows, replace(scope, category=name)).total if key else None,
        )
        for key, name in sorted(names.items(), key=lambda kv: (not kv[0], kv[0]))
    )
    return Execution(total=total, months=month_rows, categories=category_rows)
