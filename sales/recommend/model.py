"""Next best product, the maths: numpy over aggregated purchases, no Django, no clock.

Customers × products hold recency-weighted purchases (a sale counts half after ``half_life_days``).
Products are similar when the same customers buy them: cosine over the product columns, shrunk
towards zero when few customers bought both, so two rare products bought once together do not look
like a strong pair. A customer's candidates are the neighbours of what they bought, weighted by how
recently they bought it; customers without history fall back to what their segment buys, then to
what sells overall. Every suggestion keeps the facts its reason is written from.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

HALF_LIFE_DAYS = 180.0
NEIGHBOURS = 30
SHRINKAGE = 10.0
# How much overall popularity counts next to the average similarity (both scaled to 0..1): enough to
# break the ties and the noise of thin co-purchase data, too little to outvote a real pattern.
PRIOR_WEIGHT = 0.1
# Counts below this are not shown: a small count of co-buyers could point at one customer.
MIN_SHOWN_COUNT = 5

BOUGHT_WITH = "bought_with"
SEGMENT = "segment"
OVERALL = "overall"


@dataclass(frozen=True, eq=False)
class PurchaseRows:
    """Aggregated sales: one row per customer, product and day, as positions into the matrix."""

    customer: np.ndarray  # int, 0..n_customers-1
    product: np.ndarray  # int, 0..n_products-1
    age_days: np.ndarray  # days between the sale and "today"
    count: np.ndarray  # sales on that day


def purchase_matrix(
    rows: PurchaseRows, n_customers: int, n_products: int, *, half_life_days: float = HALF_LIFE_DAYS
) -> np.ndarray:
    """Customers × products, float32: each sale weighs 0.5 ** (age / half-life); future dates weigh 1."""
    matrix = np.zeros((n_customers, n_products), dtype=np.float32)
    if len(rows.customer):
        age = np.maximum(rows.age_days.astype(np.float64), 0.0)
        weight = rows.count * np.power(0.5, age / half_life_days)
        np.add.at(matrix, (rows.customer, rows.product), weight.astype(np.float32))
    return matrix


@dataclass(frozen=True, eq=False)
class Neighbours:
    """Per product its most similar products, best first; ``-1`` pads rows with fewer neighbours."""

    ids: np.ndarray  # products × k, int32 positions
    scores: np.ndarray  # products × k, float32 shrunk cosine
    co_buyers: np.ndarray  # products × k, int32 customers who bought both
    buyers: np.ndarray  # products, int32 customers who bought the product


def item_neighbours(matrix: np.ndarray, *, k: int = NEIGHBOURS, shrinkage: float = SHRINKAGE) -> Neighbours:
    """Top-``k`` neighbours of every product by cosine × n / (n + shrinkage), n the co-buyers."""
    n_products = matrix.shape[1]
    bought = (matrix > 0).astype(np.float32)
    buyers = bought.sum(axis=0).astype(np.int32)
    k = max(0, min(k, n_products - 1))
    if k == 0:
        empty = np.zeros((n_products, 0), dtype=np.int32)
        return Neighbours(empty, empty.astype(np.float32), empty, buyers)
    co = bought.T @ bought
    gram = matrix.T @ matrix
    norms = np.sqrt(np.diag(gram))
    with np.errstate(divide="ignore", invalid="ignore"):
        sim = gram / np.outer(norms, norms)
    sim = np.nan_to_num(sim, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
    sim *= co / (co + np.float32(shrinkage))
    np.fill_diagonal(sim, 0.0)
    sim[co == 0] = 0.0
    top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    top_scores = np.take_along_axis(sim, top, axis=1)
    order = np.argsort(-top_scores, axis=1, kind="stable")
    ids = np.take_along_axis(top, order, axis=1).astype(np.int32)
    scores = np.take_along_axis(top_scores, order, axis=1)
    co_buyers = np.take_along_axis(co, ids, axis=1).astype(np.int32)
    empty = scores <= 0
    ids[empty], scores[empty], co_buyers[empty] = -1, 0.0, 0
    return Neighbours(ids, scores, co_buyers, buyers)


@dataclass(frozen=True, eq=False)
class Popular:
    """What a group of customers buys, best first."""

    ids: np.ndarray  # product positions
    scores: np.ndarray  # recency-weighted purchases by the group
    buyers: np.ndarray  # customers of the group who bought each product
    size: int  # customers in the group


def popular(matrix: np.ndarray, members: np.ndarray | None = None, *, limit: int = NEIGHBOURS) -> Popular:
    """The group's (``members``: a boolean mask or positions; None is everyone) most bought products."""
    rows = matrix if members is None else matrix[members]
    scores = rows.sum(axis=0)
    buyers = (rows > 0).sum(axis=0)
    order = np.lexsort((-buyers, -scores))
    order = order[scores[order] > 0][:limit]
    return Popular(order.astype(np.int32), scores[order], buyers[order].astype(np.int32), len(rows))


def group_popularity(
    matrix: np.ndarray, labels: Sequence[str], *, min_size: int = MIN_SHOWN_COUNT, limit: int = NEIGHBOURS
) -> dict[str, Popular]:
    """Popularity per label (e.g. each customer's industry) among groups of at least ``min_size``.

    Within a group a product needs ``min_size`` buyers too: "popular with Retail customers" must
    not stand for what one Retail customer bought.
    """
    labels = np.asarray(labels, dtype=object)
    out = {}
    for label in sorted({str(x) for x in labels if x}):
        members = labels == label
        if members.sum() < min_size:
            continue
        group = popular(matrix, members, limit=limit * 4)
        keep = group.buyers >= min_size
        if keep.any():
            ids, scores, buyers = (
                group.ids[keep][:limit],
                group.scores[keep][:limit],
                group.buyers[keep][:limit],
            )
            out[label] = Popular(ids, scores, buyers, group.size)
    return out


@dataclass(frozen=True)
class Suggestion:
    """A product to offer and the facts behind it (worded by the caller)."""

    product: int
    score: float
    kind: str  # BOUGHT_WITH, SEGMENT or OVERALL
    anchor: int | None = None  # the customer's product it is bought with
    together: int | None = None  # customers who bought both; None when below the shown minimum
    segment: str | None = None  # the segment's key, for SEGMENT


@dataclass(frozen=True)
class Fallback:
    """Ranked products of a segment (or of everyone), most specific first; ``key`` names it."""

    key: str | None  # None: popular overall
    ids: Sequence[int]
    scores: Sequence[float]


def rank(
    owned: Mapping[int, float],
    neighbours: Mapping[int, tuple[Sequence[int], Sequence[float], Sequence[int]]],
    fallbacks: Sequence[Fallback] = (),
    *,
    popularity: Mapping[int, float] | None = None,
    prior_weight: float = PRIOR_WEIGHT,
    limit: int = 5,
    min_shown: int = MIN_SHOWN_COUNT,
) -> tuple[Suggestion, ...]:
    """The best ``limit`` products the customer has not bought.

    ``owned`` maps each bought product to its recency weight; ``neighbours`` each bought product to
    its (ids, scores, co-buyers). A customer with history gets the weighted average similarity of
    each candidate to what they bought, plus ``prior_weight`` × its ``popularity`` (customers who
    bought it, scaled to 0..1);
    each is explained by the bought product contributing most, or as popular overall when the prior
    outweighs the similarity. Free places go to the fallbacks in order (segments, then everyone).
    """
    totals, best = _similarity(owned, neighbours)
    prior: dict[int, float] = {}
    if totals and popularity:
        top = max(popularity.values())
        prior = {
            int(p): prior_weight * v / top for p, v in popularity.items() if int(p) not in owned and top > 0
        }
    scores = {p: totals.get(p, 0.0) + prior.get(p, 0.0) for p in set(totals) | set(prior)}
    chosen = sorted(scores, key=lambda p: (-scores[p], p))[:limit]
    out = []
    for pid in chosen:
        if totals.get(pid, 0.0) >= prior.get(pid, 0.0):
            _, anchor, co = best[pid]
            shown = co if co >= min_shown else None
            out.append(Suggestion(pid, scores[pid], BOUGHT_WITH, anchor=anchor, together=shown))
        else:
            out.append(Suggestion(pid, scores[pid], OVERALL))
    return _fill_from_fallbacks(out, fallbacks, set(owned) | set(chosen), limit)


def _similarity(
    owned: Mapping[int, float],
    neighbours: Mapping[int, tuple[Sequence[int], Sequence[float], Sequence[int]]],
) -> tuple[dict[int, float], dict[int, tuple[float, int, int]]]:
    """Each unbought candidate's weighted similarity to what was bought, and its strongest anchor
    as (part, anchor, co-buyers)."""
    totals: dict[int, float] = {}
    best: dict[int, tuple[float, int, int]] = {}
    weight_sum = sum(w for w in owned.values() if w > 0)
    for anchor, weight in owned.items():
        entry = neighbours.get(anchor)
        if entry is None or weight <= 0:
            continue
        for pid, sim, co in zip(*entry, strict=True):
            pid = int(pid)
            if pid < 0 or pid in owned or sim <= 0:
                continue
            part = float(weight) * float(sim) / weight_sum
            totals[pid] = totals.get(pid, 0.0) + part
            if pid not in best or part > best[pid][0]:
                best[pid] = (part, int(anchor), int(co))
    return totals, best


def _fill_from_fallbacks(
    out: list, fallbacks: Sequence[Fallback], taken: set[int], limit: int
) -> tuple[Suggestion, ...]:
    """Free places go to the fallbacks in order (segments, then everyone), skipping ``taken``."""
    for fallback in fallbacks:
        for pid, score in zip(fallback.ids, fallback.scores, strict=True):
            if len(out) >= limit:
                return tuple(out)
            pid = int(pid)
            if pid in taken:
                continue
            taken.add(pid)
            kind = OVERALL if fallback.key is None else SEGMENT
            out.append(Suggestion(pid, float(score), kind, segment=fallback.key))
    return tuple(out)


def strongest(
    matrix: np.ndarray, neighbours: Neighbours, *, prior_weight: float = PRIOR_WEIGHT
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every customer at once: the best unbought product bought with theirs, its score and anchor.

    Scored like ``rank`` with popularity counted from ``matrix``; rows whose best product owes more to
    popularity than to what they bought (or who bought nothing) have product and anchor -1.
    """
    n_customers, n_products = matrix.shape
    if n_products == 0:
        nothing = np.full(n_customers, -1, dtype=np.int64)
        return nothing, np.zeros(n_customers, dtype=np.float32), nothing.copy()
    sim = np.zeros((n_products, n_products), dtype=np.float32)
    if neighbours.ids.size:
        rows = np.repeat(np.arange(n_products), neighbours.ids.shape[1])
        cols = neighbours.ids.ravel()
        valid = cols >= 0
        sim[rows[valid], cols[valid]] = neighbours.scores.ravel()[valid]
    weight_sum = matrix.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        similar = np.nan_to_num((matrix @ sim) / weight_sum)
    popularity = (matrix > 0).sum(axis=0).astype(np.float32)
    prior = prior_weight * popularity / max(popularity.max(), 1.0)
    scores = np.where((similar > 0).any(axis=1, keepdims=True), similar + prior, 0.0)
    scores[matrix > 0] = 0.0
    # Ties go to the lowest position, like ``rank``.
    product = scores.argmax(axis=1)
    picked = np.arange(n_customers)
    score = scores[picked, product]
    contributions = matrix * sim[:, product].T
    anchor = contributions.argmax(axis=1)
    none = (score <= 0) | (similar[picked, product] < prior[product])
    product[none], anchor[none] = -1, -1
    return product, score, anchor
