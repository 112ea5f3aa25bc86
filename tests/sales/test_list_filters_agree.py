"""Each list declares its filters once (sales/filters/): its page, its export and its API answer the
same rows for the same query string, values that make no sense included."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from crm.filters import MAX_ID
from sales.models import Activity, Stage
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    DealFactory,
    ProductFactory,
    SalesRecordFactory,
    lost_reason,
)

pytestmark = pytest.mark.django_db

LARGEST_ID = str(MAX_ID)
PAST_MAX_ID = str(MAX_ID + 1)  # 2**63: one past the largest id a database integer holds
TOO_LONG = "x" * 201

# The same invalid values go to every list: each is ignored, never a 400 or a 500.
NONSENSE = [
    f"owner={PAST_MAX_ID}",
    f"owner={LARGEST_ID}",
    "owner=abc",
    "owner=-1",
    f"customer={PAST_MAX_ID}",
    "customer=99999999999999999999999",
    "q=%00",
    f"region={TOO_LONG}",
]
QUERIES = {
    "customers": [
        "",
        "q=ac",
        "q=a%00c",
        "region=south&industry=retail",
        "kind=person",
        "owner={rep}",
        "owner={other_rep}",
        "team={team}",
        f"team={PAST_MAX_ID}",
        "sort=-need",
        "sort=region&channel=referral",
        "sort=password&kind=robot&team=x",
        *NONSENSE,
    ],
    "deals": [
        "",
        "q=alpha",
        "stage=lead&stage=choose",
        "stage=lead&stage=nonsense",
        "stage=%00",
        "status=lost",
        "status=maybe&risk=x&reached=zzz",
        "risk=overdue",
        "reached=choose",
        "owner={rep}&sort=-amount",
        "team={team}&sort=customer",
        "customer={acme}",
        "region=south&channel=web&category=licences",
        "close_from={today}&close_to={in_a_month}",
        "closed_from=yesterday&opened_from=2024-02-30&sort=drop+table",
        f"team={PAST_MAX_ID}&stage=lead",
        *NONSENSE,
    ],
    "sales-records": [
        "",
        "q=acme",
        "q=renewal",
        "start=2024-03-01",
        "start=2024-03-01&end=2024-04-30",
        "start=2024-13-45&end=never",
        "owner={rep}",
        "customer={acme}",
        "product={licence}",
        "region=south&channel=fair&category=licences",
        f"product={PAST_MAX_ID}",
        *NONSENSE,
    ],
}
# The activity page starts from the viewer's own activities and offers only the people they see (a
# rep, only themselves); for an owner it offers, or none that makes sense, it and the API agree.
ACTIVITY_QUERIES = [
    ("rep", ""),
    ("rep", "kind=task"),
    ("rep", "kind=robot"),
    ("rep", "done=true"),
    ("rep", "done=false&kind=call"),
    ("rep", "done=maybe"),
    ("rep", "customer={acme}"),
    ("rep", "due_after={today}T00:00:00Z"),
    ("rep", "due_before={in_a_month}T00:00:00%2B08:00"),
    ("rep", "due_after=not-a-date&due_before=0001-01-01T00:00:00-19:20"),
    ("rep", f"deal={PAST_MAX_ID}"),
    *(("rep", query) for query in NONSENSE if query != f"owner={LARGEST_ID}"),
    ("manager", "owner=all"),
    ("manager", "owner=all&kind=task"),
    ("manager", "owner={rep}"),
    ("manager", "owner={rep}&done=true"),
    ("manager", "owner={manager}&q=%00"),
]


def _hours(n: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=n)


@pytest.fixture
def book(rep, manager, team, other_rep, other_team) -> dict:
    """Customers, deals, sales and activities of a rep, their manager and a rep of another team."""
    today = timezone.localdate()
    licence = ProductFactory(name="Licence", category="Licences")
    acme = CustomerFactory(name="Acme", owner=rep, industry="Retail", need=Decimal("5"))
    acorn = CustomerFactory(name="Acorn", owner=rep, region="South", industry="Retail", need=None)
    bolt = CustomerFactory(name="Bolt", owner=manager, region="South", kind="person", need=Decimal("50"))
    theirs = CustomerFactory(name="Acme Elsewhere", owner=other_rep)

    DealFactory(title="Alpha", customer=acme, amount=Decimal("10"), product=licence, channel="Web")
    chosen = DealFactory(title="Beta", customer=acorn, amount=Decimal("900"), channel="Web", product=licence)
    chosen.move_to(Stage.objects.get(key="choose"), by=rep)
    DealFactory(title="Gamma", customer=acme, expected_close=today - datetime.timedelta(days=3))
    DealFactory(title="Delta", customer=bolt, amount=Decimal("300")).mark_lost(
        lost_reason(), note="price", by=manager
    )
    DealFactory(title="Alpha elsewhere", customer=theirs)

    SalesRecordFactory(customer=acme, sold_on=datetime.date(2024, 2, 10), note="first order")
    SalesRecordFactory(customer=acme, sold_on=datetime.date(2024, 3, 5), product=licence, note="renewal")
    SalesRecordFactory(customer=acorn, sold_on=datetime.date(2024, 4, 20), product=licence)
    SalesRecordFactory(customer=bolt, sold_on=datetime.date(2024, 5, 1), note="renewal")
    SalesRecordFactory(customer=theirs, sold_on=datetime.date(2024, 3, 5), note="renewal")

    # Every activity falls in one of the page's sections: overdue, upcoming or done this week.
    for owner, customer in ((rep, acme), (rep, acorn), (manager, bolt), (other_rep, theirs)):
        ActivityFactory(owner=owner, customer=customer, kind=Activity.Kind.TASK, due_at=_hours(-30))
        ActivityFactory(owner=owner, customer=customer, kind=Activity.Kind.TASK, due_at=_hours(24 * 9))
        ActivityFactory(owner=owner, customer=customer, done_at=_hours(-5))
    return {
        "rep": rep.pk,
        "manager": manager.pk,
        "other_rep": other_rep.pk,
        "team": team.pk,
        "acme": acme.pk,
        "licence": licence.pk,
        "today": today.isoformat(),
        "in_a_month": (today + datetime.timedelta(days=31)).isoformat(),
    }


def _ok(response):
    assert response.status_code == 200, response.status_code
    return response


def _page_rows(client: Client, kind: str, query: str) -> list[int]:
    response = _ok(client.get(f"/{kind}/?{query}"))
    key = {"customers": "customers", "deals": "deals", "sales-records": "records"}[kind]
    return [row.pk for row in response.context[key]]


def _export_rows(client: Client, kind: str, query: str) -> list[int]:
    response = _ok(client.get(f"/{kind}/export/?{query}&format=csv"))
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    return [int(row[0]) for row in list(csv.reader(io.StringIO("\n".join(lines))))[1:]]


def _api_rows(api: APIClient, kind: str, query: str) -> list[int]:
    response = _ok(api.get(f"/api/{kind}/?{query}&page_size=500"))
    return [row["id"] for row in response.data["results"]]


def _clients(user) -> tuple[Client, APIClient]:
    client, api = Client(), APIClient()
    client.force_login(user)
    api.force_authenticate(user)
    return client, api


@pytest.mark.parametrize(
    ("kind", "query"), [(kind, query) for kind, queries in QUERIES.items() for query in queries]
)
def test_the_page_its_export_and_the_api_list_the_same_rows(book, manager, kind, query):
    query = query.format(**book)
    client, api = _clients(manager)
    page = _page_rows(client, kind, query)
    assert _export_rows(client, kind, query) == page
    assert _api_rows(api, kind, query) == page


@pytest.mark.parametrize(("persona", "query"), ACTIVITY_QUERIES)
def test_the_activity_page_and_the_api_list_the_same_activities(book, rep, manager, persona, query):
    query = query.format(**book)
    client, api = _clients({"rep": rep, "manager": manager}[persona])
    response = _ok(client.get(f"/activities/?{query}"))
    page = sorted(a.pk for section in response.context["sections"] for a in section["items"])
    assert sorted(_api_rows(api, "activities", query)) == page


@pytest.mark.parametrize("kind", [*QUERIES, "activities"])
def test_the_queries_tell_rows_apart(book, manager, kind):
    # Agreement means little if every query answered the same rows: the filters must bite.
    queries = QUERIES.get(kind) or [q for persona, q in ACTIVITY_QUERIES if persona == "manager"]
    _client, api = _clients(manager)
    answers = {tuple(_api_rows(api, kind, q.format(**book))) for q in queries}
    assert len(answers) >= 4
    assert () in answers or kind == "activities"
