import datetime
from decimal import Decimal

import pytest

from tests.factories import CustomerFactory, ProductFactory, SalesRecordFactory


def test_the_sales_record_list_shows_the_reps_own_sales_with_their_total(rep_client, rep, other_rep):
    SalesRecordFactory(owner=rep, customer__owner=rep, customer__name="Acme", amount=Decimal("100.00"))
    SalesRecordFactory(owner=rep, customer__owner=rep, customer__name="Globex", amount=Decimal("250.50"))
    SalesRecordFactory(owner=other_rep, customer__owner=other_rep, customer__name="Hidden Corp")
    response = rep_client.get("/sales-records/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme" in html and "Globex" in html
    assert "Hidden Corp" not in html
    assert response.context["totals"] == {"amount": Decimal("350.50"), "count": 2}


def test_the_list_filters_by_period_category_and_text(rep_client, rep):
    product = ProductFactory(category="Services")
    customer = CustomerFactory(owner=rep, name="Acme")
    SalesRecordFactory(owner=rep, customer=customer, sold_on=datetime.date(2024, 1, 5), note="old")
    SalesRecordFactory(
        owner=rep, customer=customer, sold_on=datetime.date(2024, 6, 5), note="new", product=product
    )
    SalesRecordFactory(owner=rep, customer__owner=rep, sold_on=datetime.date(2024, 6, 6), note="other")
    response = rep_client.get("/sales-records/", {"start": "2024-03-01", "category": "services", "q": "acm"})
    assert [r.note for r in response.context["records"]] == ["new"]


def test_the_export_links_carry_the_filters(rep_client):
    html = rep_client.get("/sales-records/", {"start": "2024-03-01", "page": "1"}).content.decode()
    assert "/sales-records/export/?start=2024-03-01&amp;format=csv" in html
    assert "/sales-records/export/?start=2024-03-01&amp;format=xlsx" in html


def test_an_htmx_refresh_gets_only_the_table(rep_client, rep):
    SalesRecordFactory(owner=rep, customer__owner=rep)
    response = rep_client.get("/sales-records/", HTTP_HX_REQUEST="true")
    assert [t.name for t in response.templates][0] == "sales/partials/salesrecord_table.html"
    assert b'<nav class="navbar' not in response.content


def test_the_list_pages_by_fifty(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    SalesRecordFactory.create_batch(55, owner=rep, customer=customer)
    page_two = rep_client.get("/sales-records/", {"page": 2})
    assert len(page_two.context["records"]) == 5
    assert rep_client.get("/sales-records/", {"page": "nonsense"}).status_code == 200


def test_a_manager_can_narrow_to_one_rep(manager_client, manager, rep):
    SalesRecordFactory(owner=rep, customer__owner=rep, note="rep's")
    SalesRecordFactory(owner=manager, customer__owner=manager, note="manager's")
    response = manager_client.get("/sales-records/", {"owner": rep.pk})
    assert [r.note for r in response.context["records"]] == ["rep's"]
    assert {u.username for u in response.context["owners"]} == {"manager", "rep"}


@pytest.mark.parametrize("rows", [5, 10])
def test_the_list_runs_a_fixed_number_of_queries(rep_client, rep, django_assert_num_queries, rows):
    customer = CustomerFactory(owner=rep)
    SalesRecordFactory.create_batch(rows, owner=rep, customer=customer, product=ProductFactory())
    # session, user, totals (sum and count), the page of records with customer, owner and product,
    # the visible owners for the owner filter, the region, channel and category values the bar
    # offers (one query), and the manager check of the navigation bar (groups, then managed teams)
    with django_assert_num_queries(8):
        rep_client.get("/sales-records/")
