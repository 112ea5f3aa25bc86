"""How good the suggestions are, measured the honest way: hide what each customer bought last.

For each customer with at least two products, the product they started buying last is held out;
the model is built from everything else and asked for its suggestions. A hit is the held-out
product among the first ``k``; the reciprocal rank counts its place among the first ``depth``. The
same is measured for the popularity baseline (what most customers bought), so the figures say what
the co-purchase model adds. Synthetic purchase data lives here too, so the tests and
``bench/recommend.py`` judge the same thing.
"""

import time
from dataclasses import dataclass

import numpy as np

from sales.recommend.model import (
    HALF_LIFE_DAYS,
    Fallback,
    PurchaseRows,
    item_neighbours,
    popular,
    purchase_matrix,
    rank,
)


@dataclass(frozen=True, eq=False)
class Synthetic:
    """Generated sales: one row per purchase, ``day`` counted back from today (0 = today)."""

    customer: np.ndarray
    product: np.ndarray
    day: np.ndarray
    industry: np.ndarray  # per customer
    n_customers: int
    n_products: int


def generate(
    n_customers: int,
    n_products: int,
    *,
    structured: bool,
    seed: int = 0,
    group_size: int = 10,
    purchases: tuple[int, int] = (3, 12),
    loyalty: float = 0.8,
) -> Synthetic:
    """Purchases with a Zipf-like popularity; with ``structured``, products come in groups bought
    together: each customer favours one or two groups (linked to their industry) and buys from them
    with probability ``loyalty``. Each customer buys distinct products on increasing days."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_products + 1) ** 0.8
    popularity = rng.permutation(popularity / popularity.sum())
    n_groups = max(1, n_products // group_size)
    group_of = rng.permutation(np.arange(n_products) % n_groups)
    members = [np.flatnonzero(group_of == g) for g in range(n_groups)]
    industries = rng.integers(0, 8, size=n_customers)
    sizes = rng.integers(purchases[0], purchases[1] + 1, size=n_customers)
    customers, products, days = [], [], []
    for c in range(n_customers):
        n = min(int(sizes[c]), n_products)
        # One group follows from the industry (so segments mean something), one is the customer's own.
        linked = (industries[c] * n_groups // 8 + int(rng.integers(0, max(1, n_groups // 8)))) % n_groups
        pool = np.concatenate([members[linked], members[int(rng.integers(0, n_groups))]])
        draws = rng.choice(n_products, size=4 * n + 8, p=popularity)
        if structured:
            loyal = rng.random(len(draws)) < loyalty
            draws = np.where(loyal, rng.choice(pool, size=len(draws)), draws)
        _, first = np.unique(draws, return_index=True)
        chosen = draws[np.sort(first)][:n]
        ages = np.sort(rng.integers(0, 720, size=len(chosen)))[::-1]
        customers.append(np.full(len(chosen), c))
        products.append(chosen)
        days.append(ages)
    return Synthetic(
        np.concatenate(customers).astype(np.int32),
        np.concatenate(products).astype(np.int32),
        np.concatenate(days).astype(np.int32),
        np.asarray([f"Industry {i}" for i in industries], dtype=object),
        n_customers,
        n_products,
    )


@dataclass(frozen=True)
class Evaluation:
    customers: int  # customers with a held-out product
    hit_rate: float
    mrr: float
    baseline_hit_rate: float
    baseline_mrr: float
    build_seconds: float  # matrix and neighbours, the part the rebuild command runs


def _holdout(data: Synthetic) -> tuple[np.ndarray, np.ndarray]:
    """A mask of the training rows and the held-out product per customer (-1: too little history)."""
    held = np.full(data.n_customers, -1, dtype=np.int64)
    newest = np.full(data.n_customers, np.iinfo(np.int32).max, dtype=np.int64)
    counts = np.bincount(data.customer, minlength=data.n_customers)
    # The product each customer started buying last: smallest age at first purchase.
    first_age: dict[tuple[int, int], int] = {}
    for c, p, d in zip(data.customer.tolist(), data.product.tolist(), data.day.tolist(), strict=True):
        key = (c, p)
        first_age[key] = max(first_age.get(key, -1), d)
    for (c, p), age in first_age.items():
        if age < newest[c] or (age == newest[c] and p > held[c]):
            newest[c], held[c] = age, p
    distinct = np.bincount(np.fromiter((c for c, _ in first_age), dtype=np.int64), minlength=data.n_customers)
    held[(distinct < 2) | (counts < 2)] = -1
    train = held[data.customer] != data.product
    return train, held


def _reciprocal(ranked: list[int], target: int, k: int) -> tuple[bool, float]:
    if target in ranked:
        place = ranked.index(target)
        return place < k, 1.0 / (place + 1)
    return False, 0.0


def evaluate(
    data: Synthetic, *, k: int = 5, depth: int = 20, half_life_days: float = HALF_LIFE_DAYS
) -> Evaluation:
    """Hit rate at ``k`` and MRR over the first ``depth`` for the model and for popularity."""
    train, held = _holdout(data)
    rows = PurchaseRows(
        data.customer[train], data.product[train], data.day[train], np.ones(int(train.sum()), dtype=np.int32)
    )
    started = time.perf_counter()
    matrix = purchase_matrix(rows, data.n_customers, data.n_products, half_life_days=half_life_days)
    neighbours = item_neighbours(matrix)
    build_seconds = time.perf_counter() - started
    overall = popular(matrix, limit=depth * 4)
    fallback = (Fallback(None, overall.ids.tolist(), overall.scores.tolist()),)
    prior = dict(zip(overall.ids.tolist(), overall.buyers.tolist(), strict=True))
    # The baseline: products by how many customers bought them, whatever the date.
    buyers = (matrix > 0).sum(axis=0)
    baseline_order = np.lexsort((np.arange(data.n_products), -buyers)).tolist()
    ids, scores, co = neighbours.ids, neighbours.scores, neighbours.co_buyers
    hits = base_hits = 0
    rr = base_rr = 0.0
    evaluated = np.flatnonzero(held >= 0)
    for c in evaluated.tolist():
        owned_ids = np.flatnonzero(matrix[c])
        owned = dict(zip(owned_ids.tolist(), matrix[c, owned_ids].tolist(), strict=True))
        near = {p: (ids[p], scores[p], co[p]) for p in owned}
        ranked = [s.product for s in rank(owned, near, fallback, popularity=prior, limit=depth)]
        hit, recip = _reciprocal(ranked, int(held[c]), k)
        hits += hit
        rr += recip
        base = [p for p in baseline_order[: depth + len(owned)] if p not in owned][:depth]
        hit, recip = _reciprocal(base, int(held[c]), k)
        base_hits += hit
        base_rr += recip
    n = max(1, len(evaluated))
    return Evaluation(len(evaluated), hits / n, rr / n, base_hits / n, base_rr / n, build_seconds)
