"""Suggested next on the customer page, My day and the API: what each rep sees, and what they never do."""

import datetime
import io
import json
from decimal import Decimal

import pytest
import yaml
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from sales.models import CustomerSuggestion, RecommendationRow
from tests.factories import CustomerFactory, DealFactory, ProductFactory, SalesRecordFactory

pytestmark = pytest.mark.django_db


def detail(customer) -> str:
    return reverse("sales:customer_detail", args=[customer.pk])


def api(customer) -> str:
    return f"/api/customers/{customer.pk}/recommendations/"


def rebuild() -> str:
    out = io.StringIO()
    call_command("rebuild_recommendations", stdout=out)
    return out.getvalue()


def buy(customer, *products, days_ago: int = 10):
    for product in products:
        SalesRecordFactory(
            customer=customer, product=product, sold_on=timezone.localdate() - datetime.timedelta(days_ago)
        )


@pytest.fixture
def catalogue(db):
    return {
        "kit": ProductFactory(name="Hardware kit", list_price=Decimal("1234.50")),
        "support": ProductFactory(name="Support plan", list_price=Decimal("300.00")),
        "cable": ProductFactory(name="Cable set", list_price=Decimal("20.00")),
        "training": ProductFactory(name="Training day", list_price=Decimal("900.00")),
    }


@pytest.fixture
def others_buy(other_rep, catalogue):
    """Six of another rep's customers buy the kit with support; two of them cables too."""
    secrets = [CustomerFactory(owner=other_rep, name=f"Secret Corp {i}", industry="Mining") for i in range(6)]
    for i, customer in enumerate(secrets):
        buy(customer, catalogue["kit"], catalogue["support"])
        if i < 2:
            buy(customer, catalogue["cable"])
    return secrets


def test_the_customer_page_suggests_what_others_buy_with_the_customers_products(
    rep_client, rep, catalogue, others_buy
):
    mine = CustomerFactory(owner=rep, name="Harbor Lights")
    buy(mine, catalogue["kit"])
    rebuild()
    page = rep_client.get(detail(mine)).content.decode()
    assert "Suggested next" in page
    assert "Support plan" in page
    assert "bought with Hardware kit by 6 customers" in page
    assert "300.00" in page  # the list price, formatted like the page's other amounts
    deal_link = reverse("sales:deal_create") + f"?customer={mine.pk}&amp;product={catalogue['support'].pk}"
    assert deal_link + "&amp;amount=300.00" in page


def test_a_count_below_five_is_not_shown(rep_client, rep, catalogue, others_buy):
    mine = CustomerFactory(owner=rep)
    buy(mine, catalogue["kit"], catalogue["support"])
    rebuild()
    items = rep_client.get(detail(mine)).context["suggestions"].items
    cable = next(s for s in items if s.product == catalogue["cable"])
    # Two customers bought cables with the kit or support: too few to count out loud.
    assert cable.reason in {
        "often bought together with Hardware kit",
        "often bought together with Support plan",
    }


def test_reasons_never_mention_a_customer_the_rep_may_not_see(
    rep_client, rep, other_rep, catalogue, others_buy, client
):
    mine = CustomerFactory(owner=rep, name="Harbor Lights", industry="Retail")
    buy(mine, catalogue["kit"])
    newcomer = CustomerFactory(owner=rep, name="Fresh Start", industry="Mining")
    rebuild()
    for customer in (mine, newcomer):
        page = rep_client.get(detail(customer)).content.decode()
        answer = rep_client.get(api(customer)).json()
        words = " ".join(r["reason"] for r in answer["results"])
        for text in (page, json.dumps(answer)):
            assert "Secret Corp" not in text
            assert other_rep.username not in text
        # Only the rep's own customer's attributes and products appear in the reasons.
        assert "Retail" not in words or customer == mine
    # The stored model itself holds products and counts only.
    stored = json.dumps([r.entries for r in RecommendationRow.objects.all()])
    assert "Secret" not in stored


def test_the_api_answers_404_for_another_reps_customer(rep, other_rep, others_buy):
    rebuild()
    client = APIClient()
    client.force_login(rep)
    assert client.get(api(others_buy[0])).status_code == 404
    client.force_login(other_rep)
    answer = client.get(api(others_buy[0]))
    assert answer.status_code == 200
    assert answer.json()["built"] is True


def test_the_api_lists_suggestions_with_price_and_reason(rep, catalogue, others_buy):
    mine = CustomerFactory(owner=rep)
    buy(mine, catalogue["kit"])
    rebuild()
    client = APIClient()
    client.force_login(rep)
    results = client.get(api(mine)).json()["results"]
    assert results[0] == {
        "product": catalogue["support"].pk,
        "name": "Support plan",
        "category": "Licences",
        "list_price": "300.00",
        "kind": "bought_with",
        "reason": "bought with Hardware kit by 6 customers",
        "score": results[0]["score"],
    }
    assert catalogue["kit"].pk not in [r["product"] for r in results]


def test_the_schema_describes_the_recommendations_route(db):
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    paths = yaml.safe_load(out.getvalue())["paths"]
    assert "get" in paths["/api/customers/{id}/recommendations/"]


def test_a_customer_without_history_gets_what_its_industry_buys_then_what_sells_overall(
    rep_client, rep, catalogue, others_buy
):
    newcomer = CustomerFactory(owner=rep, industry="Mining", region="")
    rebuild()
    items = rep_client.get(detail(newcomer)).context["suggestions"].items
    reasons = [(s.product.name, s.reason) for s in items]
    assert reasons[:2] == [
        ("Hardware kit", "popular with Mining customers"),
        ("Support plan", "popular with Mining customers"),
    ]
    assert ("Cable set", "popular overall") in reasons


def test_retired_products_are_not_suggested(rep_client, rep, catalogue, others_buy):
    mine = CustomerFactory(owner=rep)
    buy(mine, catalogue["kit"])
    rebuild()
    catalogue["support"].active = False
    catalogue["support"].save()
    names = [s.product.name for s in rep_client.get(detail(mine)).context["suggestions"].items]
    assert "Support plan" not in names


def test_before_any_sale_the_panel_says_suggestions_come_from_sales(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    rebuild()
    page = rep_client.get(detail(customer)).content.decode()
    assert "No suggestions yet: they come from recorded sales." in page


def test_the_rebuild_reports_what_it_stored_and_replaces_the_last_one(catalogue, others_buy):
    assert rebuild().startswith("3 products, 6 customers with sales")
    buy(others_buy[0], catalogue["training"])
    assert rebuild().startswith("4 products, 6 customers with sales")
    assert RecommendationRow.objects.filter(kind=RecommendationRow.Kind.PRODUCT).count() == 4


def test_my_day_shows_the_strongest_suggestions_among_the_reps_customers(
    rep_client, rep, catalogue, others_buy
):
    mine = [CustomerFactory(owner=rep, name=f"Mine {i}") for i in range(4)]
    for customer in mine:
        buy(customer, catalogue["kit"])
    rebuild()
    # Bought since the rebuild: no longer suggested.
    buy(mine[3], catalogue["support"], days_ago=0)
    shown = rep_client.get(reverse("sales:home")).context["suggested_customers"]
    assert len(shown) == 3
    assert {s.customer.name for s in shown} <= {"Mine 0", "Mine 1", "Mine 2"}
    assert {s.product.name for s in shown} == {"Support plan"}
    assert CustomerSuggestion.objects.filter(customer__in=others_buy).exists()
    page = rep_client.get(reverse("sales:home")).content.decode()
    assert "Secret Corp" not in page
    assert "bought with Hardware kit by 6 customers" in page


def test_a_suggestion_link_fills_in_the_deal_form(rep_client, rep, catalogue):
    customer = CustomerFactory(owner=rep, name="Harbor Lights")
    url = reverse("sales:deal_create")
    form = rep_client.get(
        f"{url}?customer={customer.pk}&product={catalogue['support'].pk}&amount=300.00"
    ).context["form"]
    assert form.initial["customer"] == customer.pk
    assert form.initial["product"] == catalogue["support"].pk
    assert form.initial["amount"] == Decimal("300.00")
    assert form.initial["title"] == "Harbor Lights - Support plan"


def test_the_deal_form_ignores_a_nonsense_amount_or_a_retired_product(rep_client, rep, catalogue):
    catalogue["cable"].active = False
    catalogue["cable"].save()
    url = reverse("sales:deal_create")
    for query in ("amount=abc", "amount=-5", "amount=NaN", "amount=1e99", f"product={catalogue['cable'].pk}"):
        form = rep_client.get(f"{url}?{query}").context["form"]
        assert "product" not in form.initial
        assert "amount" not in form.initial
    form = rep_client.get(f"{url}?product={catalogue['kit'].pk}").context["form"]
    assert form.initial["amount"] == Decimal("1234.50")


@pytest.mark.parametrize("n", [3, 6])
def test_the_customer_page_with_suggestions_runs_a_fixed_number_of_queries(
    rep_client, rep, catalogue, n, django_assert_num_queries
):
    customer = CustomerFactory(owner=rep)
    buy(customer, catalogue["kit"])
    for i in range(n):
        DealFactory(customer=customer, owner=rep, title=f"Deal {i}")
        other = CustomerFactory(owner=rep)
        buy(other, catalogue["kit"], catalogue["support"], catalogue["cable"], days_ago=i)
    rebuild()
    ContentType.objects.clear_cache()
    # session, user, customer with owner, contacts, deals with stage and owner, sales records, their
    # count and sum, the activity timeline, content type and change history, manager check (groups,
    # managed teams), open deals for the activity form, and Suggested next: the customer's own
    # purchases, the stored rows for them and their segments, the suggested products.
    with django_assert_num_queries(16):
        response = rep_client.get(detail(customer))
    assert len(response.context["suggestions"].items) == 2


@pytest.mark.parametrize("n", [3, 6])
def test_my_day_with_suggestions_runs_a_fixed_number_of_queries(
    rep_client, rep, catalogue, n, django_assert_num_queries
):
    for _ in range(n):
        buy(CustomerFactory(owner=rep), catalogue["kit"], catalogue["support"])
        buy(CustomerFactory(owner=rep), catalogue["kit"])
    rebuild()
    # session, user, today's tasks, overdue tasks, deals needing attention, open pipeline, done
    # today, the strongest suggestions with customers and products, manager check (groups, teams).
    with django_assert_num_queries(10):
        response = rep_client.get(reverse("sales:home"))
    assert len(response.context["suggested_customers"]) == 3


def test_reasons_speak_chinese_to_a_chinese_reader(rep_client, rep, catalogue, others_buy):
    mine = CustomerFactory(owner=rep)
    buy(mine, catalogue["kit"])
    rebuild()
    page = rep_client.get(detail(mine), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "下一步推荐" in page
    assert "6 位客户与Hardware kit一起购买" in page
