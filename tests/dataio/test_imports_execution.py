"""Realised sales and monthly targets per category, imported with ``import_data``: the fiscal-year
dashboard and /api/metrics/ show execution = Σ actual ÷ Σ target equal to the files' own figures."""

import csv
import datetime
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.dataio.imports_helpers import FIXTURES
from tests.factories import RepFactory

YEAR = (datetime.date(2018, 1, 1), datetime.date(2018, 12, 31))
MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
MAPPINGS = {
    "products": {
        "kind": "products",
        "fields": {"name": "Product", "category": "Category", "list_price": "List price"},
    },
    "sales": {
        "kind": "sales",
        "fields": {
            "external_id": "Order",
            "sold_on": "Date",
            "customer": {"column": "Customer", "match": "name", "missing": "create"},
            "owner": {"column": "Rep", "match": "username"},
            "product": {"column": "Product", "match": "name"},
            "amount": "Amount",
        },
    },
    "plans": {
        "kind": "plans",
        "fields": {
            "external_id": "Plan",
            "name": "Plan",
            "period": "Month",
            "product_category": "Category",
            "revenue_quota": "Target",
            "target_ratio": "M",
            "activity_ratio": "P",
        },
    },
}
FILES = {
    "products": "execution-products.csv",
    "sales": "execution-sales.csv",
    "plans": "execution-targets.csv",
}
PERCENT = Decimal("0.01")


def _rows(name: str) -> list[dict]:
    with open(FIXTURES / FILES[name], newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def from_files() -> dict:
    """Plain Python over the three files: actual and target by month and by category, in 2018."""
    category = {r["Product"]: r["Category"] for r in _rows("products")}
    actual = {"total": Decimal(0), "month": defaultdict(Decimal), "category": defaultdict(Decimal)}
    for r in _rows("sales"):
        day = datetime.date.fromisoformat(r["Date"])
        if not YEAR[0] <= day <= YEAR[1]:
            continue
        amount = Decimal(r["Amount"])
        actual["total"] += amount
        actual["month"][day.month] += amount
        actual["category"][category.get(r["Product"], "")] += amount
    target = {"total": Decimal(0), "month": defaultdict(Decimal), "category": defaultdict(Decimal)}
    for r in _rows("plans"):
        month, year = r["Month"].split("-")
        assert year == "18"
        amount = Decimal(r["Target"])
        target["total"] += amount
        target["month"][MONTHS[month]] += amount
        target["category"][r["Category"]] += amount
    return {"actual": actual, "target": target}


def percent(actual: Decimal, target: Decimal) -> Decimal:
    return (actual / target * 100).quantize(PERCENT, rounding=ROUND_HALF_UP)


@pytest.fixture
def imported(db, tmp_path, admin_user):
    RepFactory(username="alice")
    RepFactory(username="bob")
    for kind in ("products", "sales", "plans"):
        mapping = tmp_path / f"{kind}.json"
        mapping.write_text(json.dumps(MAPPINGS[kind]))
        call_command("import_data", kind, str(FIXTURES / FILES[kind]), "--mapping", str(mapping))
    return from_files()


def test_the_api_shows_execution_overall_per_month_and_per_category(imported, admin_user, client):
    from sales.models import Deal, SalesPlan, SalesRecord

    assert Deal.objects.count() == 0
    assert SalesRecord.objects.count() == len(_rows("sales"))
    assert SalesPlan.objects.count() == 36
    client.force_login(admin_user)
    body = client.get("/api/metrics/", {"start": "2018-01-01", "end": "2018-12-31"}).json()
    actual, target = imported["actual"], imported["target"]
    total = body["execution"]["total"]
    assert Decimal(total["actual"]) == actual["total"]
    assert Decimal(total["target"]) == target["total"]
    assert Decimal(total["execution"]) * 100 == percent(actual["total"], target["total"])
    assert Decimal(body["attainment"]["actual"]) == actual["total"]
    assert Decimal(body["quota"]["total"]) == target["total"]
    assert body["quota"]["plans"] == 36 and body["quota"]["prorated"] == 0
    for month in body["execution"]["months"]:
        number = datetime.date.fromisoformat(month["month"]).month
        assert Decimal(month["actual"]) == actual["month"][number]
        assert Decimal(month["target"]) == target["month"][number]
        assert Decimal(month["execution"]) * 100 == percent(actual["month"][number], target["month"][number])
    categories = {c["category"]: c for c in body["execution"]["categories"]}
    assert set(categories) == {"Hardware", "Software", "Services", ""}
    for name in ("Hardware", "Software", "Services"):
        row = categories[name]
        assert Decimal(row["actual"]) == actual["category"][name]
        assert Decimal(row["target"]) == target["category"][name]
        assert Decimal(row["execution"]) * 100 == percent(actual["category"][name], target["category"][name])
    assert Decimal(categories[""]["actual"]) == actual["category"][""]


def test_a_category_filtered_api_view_uses_that_categorys_targets(imported, admin_user, client):
    client.force_login(admin_user)
    actual, target = imported["actual"], imported["target"]
    body = client.get(
        "/api/metrics/", {"start": "2018-01-01", "end": "2018-12-31", "category": "software"}
    ).json()
    assert Decimal(body["execution"]["total"]["actual"]) == actual["category"]["Software"]
    assert Decimal(body["quota"]["total"]) == target["category"]["Software"]
    assert body["quota"]["plans"] == 12


def test_the_fiscal_year_dashboard_shows_the_same_execution(imported, admin_user, client):
    client.force_login(admin_user)
    response = client.get(
        reverse("sales:dashboard"), {"period": "custom", "start": "2018-01-01", "end": "2018-12-31"}
    )
    page = response.content.decode()
    actual, target = imported["actual"], imported["target"]
    context = response.context["execution"]
    assert context["total"]["pct"].quantize(PERCENT) == percent(actual["total"], target["total"])
    assert f"{percent(actual['total'], target['total'])}&nbsp;%" in page
    shown = {
        c["row"].label: c["pct"].quantize(PERCENT) for c in context["categories"] if c["pct"] is not None
    }
    assert shown == {
        n: percent(actual["category"][n], target["category"][n]) for n in ("Hardware", "Software", "Services")
    }
    months = {m["row"].key.month: m["pct"].quantize(PERCENT) for m in context["months"]}
    assert months == {n: percent(actual["month"][n], target["month"][n]) for n in range(1, 13)}
    assert "12 monthly plans" not in page  # unfiltered: the 36 monthly category plans
    assert "36 monthly plans" in page
