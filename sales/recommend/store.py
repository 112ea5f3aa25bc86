"""The stored model: rebuilt whole from realised sales, read a few rows at a time by the pages.

``rebuild`` is run by ``manage.py rebuild_recommendations`` (after imports and nightly); pages and
the API read through ``suggestions_for`` and ``strongest_for`` and never compute the model.
"""

import datetime
import time
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q

from sales.models import CustomerSuggestion, Product, RecommendationRow, SalesRecord
from sales.recommend import reasons
from sales.recommend.data import load_purchases
from sales.recommend.model import (
    BOUGHT_WITH,
    Fallback,
    PurchaseRows,
    group_popularity,
    item_neighbours,
    popular,
    purchase_matrix,
    rank,
    strongest,
)

Kind = RecommendationRow.Kind
BATCH = 1000
OVERALL_LENGTH = 100


def segment_keys(industry: str, region: str, channel: str) -> list[tuple[str, str]]:
    """A customer's segments, most specific first; a blank attribute makes no segment."""
    keys = []
    if industry and region:
        keys.append((Kind.INDUSTRY_REGION, f"{industry}|{region}"))
    if industry:
        keys.append((Kind.INDUSTRY, industry))
    if region:
        keys.append((Kind.REGION, region))
    if channel:
        keys.append((Kind.CHANNEL, channel))
    return keys


@dataclass(frozen=True)
class BuildSummary:
    customers: int
    products: int
    rows: int
    suggestions: int
    seconds: float


def _entries(ids, scores, counts, product_ids) -> list[list]:
    return [
        [int(product_ids[i]), round(float(s), 6), int(n)]
        for i, s, n in zip(ids, scores, counts, strict=True)
        if i >= 0
    ]


def rebuild(*, today: datetime.date, now: datetime.datetime) -> BuildSummary:
    """Replace the stored model with one built from every realised sale up to ``today``."""
    started = time.perf_counter()
    data = load_purchases(today=today)
    pids, cids = data.product_ids, data.customer_ids
    matrix = purchase_matrix(data.rows, len(cids), len(pids))
    near = item_neighbours(matrix)
    rows = _model_rows(data, matrix, near, now)
    suggestions = _suggestions(matrix, near, cids, pids, now)
    with transaction.atomic():
        RecommendationRow.objects.all().delete()
        CustomerSuggestion.objects.all().delete()
        RecommendationRow.objects.bulk_create(rows, batch_size=BATCH)
        CustomerSuggestion.objects.bulk_create(suggestions, batch_size=BATCH)
    return BuildSummary(len(cids), len(pids), len(rows), len(suggestions), time.perf_counter() - started)


def _model_rows(data, matrix, near, now: datetime.datetime) -> list[RecommendationRow]:
    """The stored lists: each product's neighbours, each group's favourites, and everyone's."""
    pids = data.product_ids
    rows = [
        RecommendationRow(
            kind=Kind.PRODUCT,
            key=str(pids[p]),
            entries=_entries(near.ids[p], near.scores[p], near.co_buyers[p], pids),
            size=int(near.buyers[p]),
            built_at=now,
        )
        for p in range(len(pids))
    ]
    industry_region = [f"{i}|{r}" if i and r else "" for i, r in zip(data.industry, data.region, strict=True)]
    for kind, labels in (
        (Kind.INDUSTRY_REGION, industry_region),
        (Kind.INDUSTRY, data.industry),
        (Kind.REGION, data.region),
        (Kind.CHANNEL, data.channel),
    ):
        for label, group in group_popularity(matrix, labels).items():
            entries = _entries(group.ids, group.scores, group.buyers, pids)
            rows.append(
                RecommendationRow(kind=kind, key=label, entries=entries, size=group.size, built_at=now)
            )
    # Longer than the other lists: it is also every suggestion's popularity prior.
    everyone = popular(matrix, limit=OVERALL_LENGTH)
    rows.append(
        RecommendationRow(
            kind=Kind.OVERALL,
            key="",
            entries=_entries(everyone.ids, everyone.scores, everyone.buyers, pids),
            size=everyone.size,
            built_at=now,
        )
    )
    return rows


def _suggestions(matrix, near, cids, pids, now: datetime.datetime) -> list[CustomerSuggestion]:
    """Each customer's strongest suggestion, with the product it is bought with."""
    best, score, anchor = strongest(matrix, near)
    suggestions = []
    for c in np.flatnonzero(best >= 0).tolist():
        together = near.co_buyers[anchor[c]][near.ids[anchor[c]] == best[c]]
        suggestions.append(
            CustomerSuggestion(
                customer_id=int(cids[c]),
                product_id=int(pids[best[c]]),
                anchor_id=int(pids[anchor[c]]),
                together=int(together[0]) if len(together) else 0,
                score=float(score[c]),
                built_at=now,
            )
        )
    return suggestions


@dataclass(frozen=True)
class ShownSuggestion:
    product: Product
    reason: str
    kind: str
    score: float


@dataclass(frozen=True)
class Suggestions:
    items: tuple[ShownSuggestion, ...]
    built: bool  # False until a rebuild has found sales of products


def _owned_weights(customer, user, today: datetime.date) -> dict[int, float]:
    # The user's visible sales only, so a reason never names a product another rep sold them.
    grouped = list(
        SalesRecord.objects.visible_to(user)
        .in_force()
        .filter(customer=customer, product__isnull=False)
        .values_list("product_id", "sold_on")
        .annotate(n=Count("pk"))
        .order_by()
    )
    ids = sorted({product for product, _, _ in grouped})
    rows = PurchaseRows(
        np.zeros(len(grouped), dtype=np.int32),
        np.searchsorted(ids, [product for product, _, _ in grouped]).astype(np.int32),
        np.asarray([(today - day).days for _, day, _ in grouped], dtype=np.int32),
        np.asarray([n for _, _, n in grouped], dtype=np.int32),
    )
    weights = purchase_matrix(rows, 1, len(ids))[0]
    return dict(zip(ids, weights.tolist(), strict=True))


def suggestions_for(customer, *, user, today: datetime.date, limit: int = 5) -> Suggestions:
    """Up to ``limit`` active products for ``customer``, with reasons; three queries whatever the data.

    The caller has checked that ``user`` may see ``customer``.
    """
    owned = _owned_weights(customer, user, today)
    segments = segment_keys(customer.industry, customer.region, customer.channel)
    wanted = Q(kind=Kind.PRODUCT, key__in=[str(p) for p in owned]) | Q(kind=Kind.OVERALL, key="")
    for kind, key in segments:
        wanted |= Q(kind=kind, key=key)
    stored = {(row.kind, row.key): row.entries for row in RecommendationRow.objects.filter(wanted)}
    neighbours = {
        p: tuple(zip(*stored[(Kind.PRODUCT, str(p))], strict=True))
        for p in owned
        if stored.get((Kind.PRODUCT, str(p)))
    }
    fallbacks = [
        Fallback(
            None if kind == Kind.OVERALL else kind,
            [e[0] for e in stored[(kind, key)]],
            [e[1] for e in stored[(kind, key)]],
        )
        for kind, key in [*segments, (Kind.OVERALL, "")]
        if (kind, key) in stored
    ]
    # Extra candidates stand in for products retired from the catalogue since the rebuild.
    popularity = {e[0]: e[2] for e in stored.get((Kind.OVERALL, ""), [])}
    ranked = rank(owned, neighbours, fallbacks, popularity=popularity, limit=limit * 3)
    ids = {s.product for s in ranked} | {s.anchor for s in ranked if s.anchor is not None}
    products = Product.objects.visible_to(user).in_bulk(ids) if ids else {}
    items = []
    for s in ranked:
        product = products.get(s.product)
        if product is None or not product.active:
            continue
        anchor = products.get(s.anchor)
        words = reasons.reason(
            s.kind,
            customer=customer,
            anchor_name=anchor.name if anchor else "",
            together=s.together,
            segment=s.segment,
        )
        items.append(ShownSuggestion(product, words, s.kind, s.score))
        if len(items) == limit:
            break
    return Suggestions(tuple(items), built=bool(stored.get((Kind.OVERALL, ""))))


@dataclass(frozen=True)
class StrongSuggestion:
    customer: object
    product: Product
    reason: str
    score: float


def strongest_for(user, *, limit: int = 3) -> tuple[StrongSuggestion, ...]:
    """The customers ``user`` may see with the strongest suggestion, in one query.

    A product bought since the rebuild, or retired from the catalogue, is not suggested.
    """
    bought_since = SalesRecord.objects.in_force().filter(
        customer=OuterRef("customer"), product=OuterRef("product")
    )
    rows = (
        CustomerSuggestion.objects.visible_to(user)
        .filter(product__active=True)
        .exclude(Exists(bought_since))
        .select_related("customer", "product", "anchor")
        .order_by("-score", "pk")[:limit]
    )
    return tuple(
        StrongSuggestion(
            row.customer,
            row.product,
            reasons.reason(
                BOUGHT_WITH, customer=row.customer, anchor_name=row.anchor.name, together=row.together
            ),
            row.score,
        )
        for row in rows
    )
