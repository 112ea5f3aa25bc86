"""The recommender's maths on arrays: similarity, shrinkage, ranking, and its measured worth."""

import numpy as np
import pytest

from sales.recommend.evaluate import evaluate, generate
from sales.recommend.model import (
    BOUGHT_WITH,
    OVERALL,
    SEGMENT,
    Fallback,
    PurchaseRows,
    group_popularity,
    item_neighbours,
    popular,
    purchase_matrix,
    rank,
    strongest,
)


def rows(*purchases):
    """(customer, product, age in days) triples, one sale each."""
    c, p, a = zip(*purchases, strict=True)
    return PurchaseRows(np.array(c), np.array(p), np.array(a), np.ones(len(c), dtype=np.int32))


def test_a_sale_weighs_half_after_one_half_life_and_sales_add_up():
    matrix = purchase_matrix(rows((0, 0, 0), (0, 0, 180), (1, 1, 360)), 2, 2, half_life_days=180)
    assert matrix[0, 0] == pytest.approx(1.5)
    assert matrix[1, 1] == pytest.approx(0.25)
    assert matrix.dtype == np.float32


def test_similarity_is_cosine_shrunk_by_the_number_of_co_buyers():
    # Products 0 and 1 bought together by two customers; product 2 alone by a third.
    matrix = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=np.float32)
    near = item_neighbours(matrix, k=2, shrinkage=2.0)
    # cosine(0, 1) = 2 / (sqrt 2 * sqrt 2) = 1; shrunk by 2 / (2 + 2).
    assert near.ids[0, 0] == 1
    assert near.scores[0, 0] == pytest.approx(0.5)
    assert near.co_buyers[0, 0] == 2
    assert list(near.ids[2]) == [-1, -1]  # never bought with anything
    assert list(near.buyers) == [2, 2, 1]


def test_a_rare_pair_ranks_below_a_common_one_with_the_same_cosine():
    # 0-1 bought together by 20 customers, 2-3 by one: both cosines are 1.
    matrix = np.zeros((21, 4), dtype=np.float32)
    matrix[:20, [0, 1]] = 1
    matrix[20, [2, 3]] = 1
    near = item_neighbours(matrix, k=1, shrinkage=10.0)
    assert near.scores[0, 0] > near.scores[2, 0] * 5


def test_rank_skips_what_the_customer_owns_and_explains_with_the_strongest_anchor():
    neighbours = {
        10: ([11, 12, 13], [0.9, 0.5, 0.1], [40, 3, 7]),
        12: ([13, 10], [0.8, 0.2], [6, 3]),
    }
    out = rank({10: 1.0, 12: 0.5}, neighbours, limit=5)
    assert [s.product for s in out] == [11, 13]
    # Weighted average similarity: 11 is 1.0 × 0.9 / 1.5.
    assert out[0] == out[0].__class__(11, pytest.approx(0.6), BOUGHT_WITH, anchor=10, together=40)
    # 13: (1.0 × 0.1 from 10 + 0.5 × 0.8 from 12) / 1.5; 12 contributes more, so it is the reason.
    assert out[1].score == pytest.approx(0.5 / 1.5)
    assert out[1].anchor == 12


def test_popularity_breaks_ties_and_a_mostly_popular_product_says_so():
    neighbours = {1: ([2, 3], [0.2, 0.2], [9, 9])}
    out = rank({1: 1.0}, neighbours, popularity={3: 50, 4: 100, 2: 10}, prior_weight=0.1)
    # 3 and 2 are equally similar; 3 is more popular. 4 is only popular: 0.1 < 0.2 + 0.05.
    assert [(s.product, s.kind) for s in out] == [(3, BOUGHT_WITH), (2, BOUGHT_WITH), (4, OVERALL)]


def test_counts_below_five_are_not_shown():
    out = rank({1: 1.0}, {1: ([2, 3], [0.5, 0.4], [4, 5])})
    assert [s.together for s in out] == [None, 5]


def test_a_customer_without_history_gets_the_segment_then_overall_labelled_as_such():
    fallbacks = [Fallback("industry", [5, 6], [3.0, 2.0]), Fallback(None, [6, 7, 8], [9.0, 8.0, 7.0])]
    out = rank({}, {}, fallbacks, limit=4)
    assert [(s.product, s.kind, s.segment) for s in out] == [
        (5, SEGMENT, "industry"),
        (6, SEGMENT, "industry"),
        (7, OVERALL, None),
        (8, OVERALL, None),
    ]


def test_segments_smaller_than_five_customers_or_five_buyers_are_left_out():
    matrix = np.zeros((12, 3), dtype=np.float32)
    matrix[:6, 0] = 1  # six Retail customers bought product 0
    matrix[:2, 1] = 1  # two of them product 1
    matrix[6:9, 2] = 1  # three Mining customers
    labels = ["Retail"] * 6 + ["Mining"] * 3 + [""] * 3
    groups = group_popularity(matrix, labels)
    assert set(groups) == {"Retail"}
    assert groups["Retail"].ids.tolist() == [0]
    assert groups["Retail"].size == 6


def test_the_strongest_suggestion_of_every_customer_matches_rank():
    data = generate(200, 40, structured=True, seed=3, group_size=5)
    train = PurchaseRows(data.customer, data.product, data.day, np.ones(len(data.customer), dtype=np.int32))
    matrix = purchase_matrix(train, data.n_customers, data.n_products)
    near = item_neighbours(matrix)
    best, score, _ = strongest(matrix, near)
    buyers = dict(enumerate((matrix > 0).sum(axis=0).tolist()))
    for c in range(0, 200, 7):
        owned_ids = np.flatnonzero(matrix[c])
        owned = dict(zip(owned_ids.tolist(), matrix[c, owned_ids].tolist(), strict=True))
        near_owned = {p: (near.ids[p], near.scores[p], near.co_buyers[p]) for p in owned}
        first = rank(owned, near_owned, popularity=buyers, limit=1)[0]
        if first.kind == BOUGHT_WITH:
            assert first.product == best[c]
            assert first.score == pytest.approx(score[c], rel=1e-4)
        else:
            assert best[c] == -1


def test_popularity_counts_everyone_when_no_group_is_given():
    matrix = np.array([[1, 0, 2], [1, 0, 0]], dtype=np.float32)
    everyone = popular(matrix)
    assert everyone.ids.tolist() == [0, 2]
    assert everyone.buyers.tolist() == [2, 1]


def test_no_sales_at_all_builds_an_empty_model():
    matrix = purchase_matrix(PurchaseRows(*(np.zeros(0, dtype=np.int32),) * 4), 0, 0)
    near = item_neighbours(matrix)
    assert near.ids.shape == (0, 0)
    assert popular(matrix).ids.size == 0


@pytest.mark.parametrize("seed", [1, 2])
def test_planted_structure_doubles_the_popularity_hit_rate_and_noise_costs_nothing(seed):
    planted = evaluate(generate(400, 60, structured=True, seed=seed, group_size=5))
    assert planted.hit_rate >= 2 * planted.baseline_hit_rate
    assert planted.mrr > planted.baseline_mrr
    noise = evaluate(generate(400, 60, structured=False, seed=seed, group_size=5))
    # 400 customers: the sampling error of a hit rate near 0.3 is about 0.02.
    assert noise.hit_rate >= noise.baseline_hit_rate - 0.05
    assert noise.customers == 400
