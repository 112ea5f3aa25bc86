"""Region, channel, industry and category filters offer the values present in what the user can
see, and match a value without regard to case on the page, in the export and in the API alike."""

import csv
import io

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.filters import DatalistInput, distinct_values
from customers.models import Customer
from tests.factories import CustomerFactory, DealFactory, ProductFactory, SalesRecordFactory

pytestmark = pytest.mark.django_db

LIST = reverse("sales:customer_list")


def _offered(response, name: str) -> list[str]:
    widget = response.context["bar"].fields[name].widget
    assert isinstance(widget, DatalistInput)
    return widget.options


def test_the_customer_bar_offers_only_values_the_user_can_see(rep_client, rep, other_rep):
    CustomerFactory(owner=rep, region="North", channel="Referral", industry="Retail")
    CustomerFactory(owner=rep, region="north", channel="Web", industry="")
    CustomerFactory(owner=rep, region="East", channel="", industry="Software")
    CustomerFactory(owner=other_rep, region="Secret Coast", channel="Partner", industry="Mining")
    response = rep_client.get(LIST)
    assert _offered(response, "region") == ["East", "North"]
    assert _offered(response, "channel") == ["Referral", "Web"]
    assert _offered(response, "industry") == ["Retail", "Software"]
    html = response.content.decode()
    assert 'list="id_region-options"' in html
    assert '<option value="North"></option>' in html
    assert "Secret Coast" not in html


def test_a_manager_is_offered_the_teams_values(manager_client, rep, other_rep):
    CustomerFactory(owner=rep, region="North")
    CustomerFactory(owner=other_rep, region="Secret Coast")
    assert _offered(manager_client.get(LIST), "region") == ["North"]


def test_offered_values_are_escaped(rep_client, rep):
    CustomerFactory(owner=rep, region='<b>"North"</b>')
    html = rep_client.get(LIST).content.decode()
    assert "<b>" not in html.split("<datalist", 1)[1].split("</datalist>")[0]
    assert "&lt;b&gt;&quot;North&quot;&lt;/b&gt;" in html


def test_the_sales_record_bar_offers_region_channel_and_category(rep_client, rep):
    customer = CustomerFactory(owner=rep, region="West", channel="Trade fair")
    SalesRecordFactory(owner=rep, customer=customer, product=ProductFactory(category="Printers"))
    response = rep_client.get(reverse("sales:salesrecord_list"))
    assert _offered(response, "region") == ["West"]
    assert _offered(response, "channel") == ["Trade fair"]
    assert _offered(response, "category") == ["Printers"]


def test_the_values_are_read_in_one_query_and_once_per_request(rep):
    CustomerFactory(owner=rep, region="North", channel="Web", industry="Retail")
    CustomerFactory(owner=rep, region="South", channel="Web", industry="Retail")
    request = RequestFactory().get("/")
    paths = {"region": "region", "channel": "channel", "industry": "industry"}
    with CaptureQueriesContext(connection) as queries:
        first = distinct_values(request, Customer.objects.all(), paths)
        again = distinct_values(request, Customer.objects.all(), paths)
    assert len(queries) == 1
    assert first == again == {"region": ["North", "South"], "channel": ["Web"], "industry": ["Retail"]}


def _reads_values(sql: str) -> bool:
    return "DISTINCT" in sql and '"industry"' in sql.split("FROM")[0]


def test_only_the_whole_page_reads_the_values(rep_client, rep):
    CustomerFactory(owner=rep, region="North")
    with CaptureQueriesContext(connection) as queries:
        rep_client.get(LIST)
    assert sum(_reads_values(q["sql"]) for q in queries) == 1
    with CaptureQueriesContext(connection) as queries:
        rep_client.get(LIST, headers={"HX-Request": "true"})
    assert not any(_reads_values(q["sql"]) for q in queries)


@pytest.mark.parametrize("field", ["region", "channel", "industry"])
def test_a_value_matches_without_regard_to_case_on_page_export_and_api(rep_client, rep, field):
    north = CustomerFactory(owner=rep, name="Harbor", region="North", channel="Referral", industry="Retail")
    CustomerFactory(owner=rep, name="Depot", region="South", channel="Web", industry="Mining")
    value = getattr(north, field).lower()
    page = rep_client.get(LIST, {field: value})
    assert [c.name for c in page.context["customers"]] == ["Harbor"]
    export = rep_client.get(reverse("dataio:customer_export"), {field: value, "format": "csv"})
    body = b"".join(export.streaming_content).decode("utf-8").lstrip("\ufeff")
    names = [row[1] for row in list(csv.reader(io.StringIO(body)))[1:]]
    assert names == ["Harbor"]
    api = rep_client.get("/api/customers/", {field: value.upper()})
    assert [c["name"] for c in api.json()["results"]] == ["Harbor"]


def test_deals_match_region_and_channel_without_regard_to_case(rep_client, rep):
    north = CustomerFactory(owner=rep, region="North")
    DealFactory(customer=north, owner=rep, title="Fleet", channel="Referral")
    DealFactory(customer=CustomerFactory(owner=rep, region="South"), owner=rep, title="Depot", channel="Web")
    page = rep_client.get(reverse("sales:deal_list"), {"region": "NORTH", "channel": "referral"})
    assert [d.title for d in page.context["deals"]] == ["Fleet"]
    api = rep_client.get("/api/deals/", {"region": "north", "channel": "REFERRAL"})
    assert [d["title"] for d in api.json()["results"]] == ["Fleet"]
