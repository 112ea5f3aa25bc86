from io import StringIO

from django.contrib.auth import authenticate
from django.core.management import call_command

from customers.models import Contact, Customer
from sales.models import Activity, Deal, SalesPlan, SalesRecord, StageChange
from tests.factories import CustomerFactory


def rows() -> dict:
    """Every demo row without database ids, so two runs can be compared."""
    return {
        "customers": sorted(Customer.objects.values_list("external_id", "name", "owner__username", "need")),
        "contacts": sorted(Contact.objects.values_list("customer__external_id", "name")),
        "deals": sorted(
            Deal.objects.values_list(
                "external_id",
                "title",
                "owner__username",
                "amount",
                "stage__key",
                "status",
                "opened_on",
                "closed_on",
            )
        ),
        "changes": sorted(
            StageChange.objects.values_list(
                "deal__external_id", "from_stage__key", "to_stage__key", "status", "changed_at"
            ),
            key=str,
        ),
        "records": sorted(SalesRecord.objects.values_list("external_id", "amount", "sold_on")),
        "activities": sorted(
            Activity.objects.values_list("external_id", "kind", "due_at", "done_at"), key=str
        ),
        "plans": sorted(SalesPlan.objects.values_list("external_id", "period_start", "revenue_quota")),
    }


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, customers=20, deals=60, **options)
    return out.getvalue()


def test_seed_demo_twice_gives_the_same_rows(db):
    seed()
    first = rows()
    seed()
    assert rows() == first
    assert len(first["deals"]) == 60
    assert len(first["customers"]) == 20


def test_seed_demo_creates_the_demo_users_and_prints_the_password(db):
    output = seed()
    assert "demo12345" in output
    for username in ("admin", "manager", "rep1", "rep2"):
        assert authenticate(username=username, password="demo12345") is not None
    assert authenticate(username="admin", password="demo12345").is_superuser


def test_seed_demo_leaves_other_data_alone(db, rep):
    CustomerFactory(name="A real customer", owner=rep)
    seed()
    seed()
    assert Customer.objects.filter(name="A real customer").count() == 1


def test_every_won_demo_deal_has_one_sales_record_and_a_history(db):
    seed()
    for deal in Deal.objects.won():
        assert SalesRecord.objects.filter(deal=deal).count() == 1
        keys = list(deal.stage_changes.values_list("to_stage__key", flat=True))
        assert keys[:4] == ["lead", "understand", "choose", "buy"]
    for deal in Deal.objects.lost():
        assert deal.lost_reason
        assert deal.stage_changes.filter(status="lost").count() == 1
