"""Benchmark of Suggested next: is it worth more than best sellers, and can it be rebuilt quickly?

Generates purchase data in memory (no database): customers × products with a planted structure
(groups of products bought together, linked to the customers' industries) or, with
``--no-structure``, purchases drawn by popularity alone. Holds out the product each customer started
buying last, builds from the rest, and prints hit rate @5 and MRR (over the first 20) for the
recommender and for the popularity baseline. Then times the rebuild's maths on all the data
(matrix, neighbours, segment popularity, strongest suggestion per customer) and its peak memory.

    .venv/bin/python bench/recommend.py --customers 10000 --products 500

Budget: the rebuild takes under 30 s and 500 MB at 10k customers × 500 products.
"""

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sales.recommend.evaluate import evaluate, generate  # noqa: E402
from sales.recommend.model import (  # noqa: E402
    PurchaseRows,
    group_popularity,
    item_neighbours,
    popular,
    purchase_matrix,
    strongest,
)


def rebuild_maths(data) -> dict:
    """What ``rebuild_recommendations`` computes, on arrays instead of the database."""
    rows = PurchaseRows(data.customer, data.product, data.day, np.ones(len(data.customer), dtype=np.int32))
    matrix = purchase_matrix(rows, data.n_customers, data.n_products)
    near = item_neighbours(matrix)
    groups = group_popularity(matrix, list(data.industry))
    everyone = popular(matrix, limit=100)
    best, _, _ = strongest(matrix, near)
    return {
        "neighbours": near,
        "groups": len(groups),
        "overall": len(everyone.ids),
        "with_pick": int((best >= 0).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-structure", action="store_true", help="purchases by popularity alone")
    args = parser.parse_args()

    started = time.perf_counter()
    data = generate(args.customers, args.products, structured=not args.no_structure, seed=args.seed)
    print(
        f"data: {args.customers} customers × {args.products} products, {len(data.customer)} purchases, "
        f"{'no structure' if args.no_structure else 'planted groups'} ({time.perf_counter() - started:.1f} s)"
    )

    started = time.perf_counter()
    result = evaluate(data, k=5, depth=20)
    print(
        f"held out: the newest product of {result.customers} customers "
        f"({time.perf_counter() - started:.1f} s)"
    )
    print(f"{'':22}{'hit rate @5':>12}{'MRR @20':>10}")
    print(f"{'recommender':22}{result.hit_rate:>12.3f}{result.mrr:>10.3f}")
    print(f"{'popularity baseline':22}{result.baseline_hit_rate:>12.3f}{result.baseline_mrr:>10.3f}")
    if result.baseline_hit_rate:
        print(f"lift: {result.hit_rate / result.baseline_hit_rate:.2f}× the baseline's hit rate")

    tracemalloc.start()
    started = time.perf_counter()
    built = rebuild_maths(data)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"rebuild maths: {seconds:.2f} s, peak {peak / 2**20:.0f} MB allocated (process peak RSS "
        f"{rss:.0f} MB); {built['groups']} industry lists, {built['with_pick']} customers with a pick"
    )


if __name__ == "__main__":
    main()
