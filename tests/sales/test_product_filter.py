"""One product's win rate, won revenue, cycle and funnel, on the dashboard, the API and the lists."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from sales import rollups
from sales.models import Deal, SalesRecord
from tests.factories import CustomerFactory, ProductFactory
from tests.sales.test_metrics import at, make_deal

Q1 = {"start": "2025-01-01", "end": "2025-03-31"}


@pytest.fixture
def catalogue(db, rep, team):
    router, suite = ProductFactory(name="Router", category="Hardware"), ProductFactory(name="Suite")
    customer = CustomerFactory(owner=rep, need=Decimal("100"))
    plan = [
        (router, "1000", [("understand", at(1, 8)), ("buy", at(1, 20))], None),
        (router, "3000", [("buy", at(2, 9))], None),
        (router, "500", [], at(2, 11)),
        (suite, "9000", [("buy", at(3, 1))], None),
        (None, "700", [], at(3, 2)),
    ]
    for product, amount, moves, lost in plan:
        deal = make_deal(rep, customer, amount, at(1, 5), moves, lost=lost)
        Deal.objects.filter(pk=deal.pk).update(product=product)
        SalesRecord.objects.filter(deal=deal).update(product=product)
    rollups.rebuild()  # the rows were changed behind the model layer's back, as a repair would
    return router, suite


def test_the_api_gives_one_products_win_rate_and_won_revenue(catalogue, manager):
    router, suite = catalogue
    api = APIClient()
    api.force_authenticate(manager)
    body = api.get("/api/metrics/", {**Q1, "product": router.pk}).json()
    # Router: won 1000 and 3000, lost 500 -> 2 of 3, 4000
    assert body["scope"]["product_id"] == router.pk
    assert (body["summary"]["deals_won"], body["summary"]["deals_lost"]) == (2, 1)
    assert Decimal(body["summary"]["win_rate"]) == Decimal("0.6667")
    assert Decimal(body["summary"]["won_revenue"]) == Decimal("4000.00")
    assert Decimal(body["attainment"]["actual"]) == Decimal("4000.00")
    assert body["cycle"]["deals"] == 2
    assert body["funnel"][0]["reached"] == 3
    suite_body = api.get("/api/metrics/", {**Q1, "product": suite.pk}).json()
    assert (suite_body["summary"]["deals_won"], suite_body["summary"]["win_rate"]) == (1, "1.0000")
    everything = api.get("/api/metrics/", Q1).json()
    assert (everything["summary"]["deals_won"], everything["summary"]["deals_lost"]) == (3, 2)


def test_an_unknown_product_is_a_clear_400(catalogue, manager):
    api = APIClient()
    api.force_authenticate(manager)
    response = api.get("/api/metrics/", {**Q1, "product": 999999})
    assert response.status_code == 400
    assert "product" in response.json()
    assert api.get("/api/metrics/", {**Q1, "product": "abc"}).status_code == 400


def test_the_dashboards_product_filter_gives_the_same_figures_and_links(catalogue, manager_client):
    router, _suite = catalogue
    url = reverse("sales:dashboard")
    response = manager_client.get(url, {"period": "custom", **Q1, "product": router.pk})
    data = response.context["data"]
    assert data.scope.product_id == router.pk
    assert (data.summary.deals_won, data.summary.deals_lost, data.summary.won_revenue) == (
        2,
        1,
        Decimal("4000.00"),
    )
    assert data.summary.win_rate == Decimal("0.6667")
    page = response.content.decode()
    assert f"product={router.pk}" in page  # the drill-downs keep the product
    won = manager_client.get(reverse("sales:deal_list"), {"status": "won", "product": router.pk})
    assert won.context["page"].paginator.count == 2
    ignored = manager_client.get(url, {"period": "custom", **Q1, "product": "nope"})
    assert ignored.status_code == 200 and ignored.context["data"].scope.product_id is None


def test_the_deal_list_api_filters_by_product(catalogue, rep):
    router, _suite = catalogue
    api = APIClient()
    api.force_authenticate(rep)
    body = api.get("/api/deals/", {"product": router.pk}).json()
    rows = body["results"] if isinstance(body, dict) else body
    assert len(rows) == 3


def test_the_lists_keep_the_product_from_a_drill_down_and_name_it(catalogue, manager_client):
    router, _suite = catalogue
    for name in ("sales:deal_list", "sales:salesrecord_list"):
        page = manager_client.get(reverse(name), {"product": router.pk}).content.decode()
        assert f'<input type="hidden" name="product" value="{router.pk}">' in page
        assert "Product: Router" in page
    records = manager_client.get(reverse("sales:salesrecord_list"), {"product": router.pk})
    assert records.context["page"].paginator.count == 2  # the two won Router deals' records
