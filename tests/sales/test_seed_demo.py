from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import IntegrityError, connection
from rest_framework.test import APIClient

from customers.models import Contact, Customer
from sales.bulk import insert_objects
from sales.management.commands import seed_demo
from sales.management.commands.seed_demo import BULKY_TABLES
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


def test_seed_demo_reset_twice_gives_the_same_rows(db):
    seed()
    first = rows()
    seed(reset=True)
    assert rows() == first
    assert len(first["deals"]) == 60
    assert len(first["customers"]) == 20


def test_seed_demo_creates_the_demo_users_and_prints_the_password(db):
    output = seed()
    assert "demo12345" in output
    for username in ("admin", "manager", "rep1", "rep2"):
        assert authenticate(username=username, password="demo12345") is not None
    assert authenticate(username="admin", password="demo12345").is_superuser


def test_seed_demo_reset_leaves_other_data_alone(db, rep):
    CustomerFactory(name="A real customer", owner=rep)
    seed(reset=True)
    seed(reset=True)
    assert Customer.objects.filter(name="A real customer").count() == 1


def test_seed_demo_loads_nothing_into_a_database_with_data(db, rep):
    CustomerFactory(name="A real customer", owner=rep)
    output = seed()
    assert "--reset" in output
    assert list(Customer.objects.values_list("name", flat=True)) == ["A real customer"]


def ids() -> dict:
    return {
        "customers": sorted(Customer.objects.values_list("pk", flat=True)),
        "deals": sorted(Deal.objects.values_list("pk", flat=True)),
        "activities": sorted(Activity.objects.values_list("pk", flat=True)),
        "records": sorted(SalesRecord.objects.values_list("pk", flat=True)),
    }


def start_demo_server_steps() -> None:
    """What ``scripts/run`` does before it serves: migrate, then load the demo into an empty database."""
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=StringIO(), customers=20, deals=60)


def test_restarting_the_demo_keeps_what_users_did_and_reset_brings_the_demo_back(db):
    start_demo_server_steps()
    demo = rows()
    rep1 = get_user_model().objects.get(username="rep1")
    api = APIClient()
    api.force_authenticate(rep1)
    customer = Customer.objects.filter(owner=rep1).order_by("pk").first()
    created = api.post(
        "/api/deals/",
        {"title": "Restart survivor", "customer": customer.pk, "amount": "1234.50", "stage": "lead"},
        format="json",
    )
    assert created.status_code == 201, created.content
    deal = Deal.objects.get(pk=created.json()["id"])
    open_demo = Deal.objects.filter(owner=rep1, status="open", external_id__startswith="demo-").first()
    lost = api.post(
        f"/api/deals/{open_demo.pk}/lost/",
        {"reason": "No decision", "version": open_demo.version},
        format="json",
    )
    assert lost.status_code == 200, lost.content
    before = ids()

    start_demo_server_steps()

    assert ids() == before
    assert Deal.objects.get(pk=deal.pk).title == "Restart survivor"
    assert Deal.objects.get(pk=open_demo.pk).status == "lost"

    seed(reset=True)
    assert rows() == demo
    assert not Deal.objects.filter(pk=deal.pk).exists()


def test_every_won_demo_deal_has_one_sales_record_and_a_history(db):
    seed()
    for deal in Deal.objects.won():
        assert SalesRecord.objects.filter(deal=deal).count() == 1
        keys = list(deal.stage_changes.values_list("to_stage__key", flat=True))
        assert keys[:4] == ["lead", "understand", "choose", "buy"]
    for deal in Deal.objects.lost():
        assert deal.lost_reason
        assert deal.stage_changes.filter(status="lost").count() == 1


def test_demo_customers_have_distinct_names_without_numbers_and_tasks_vary(db):
    seed()
    names = list(Customer.objects.values_list("name", flat=True))
    assert len(set(names)) == len(names)
    assert not [n for n in names if n.split()[-1].isdigit()]
    subjects = set(Activity.objects.filter(kind="task").values_list("subject", flat=True))
    assert len(subjects) >= 3


def catalog() -> list:
    """The big tables' indexes and constraints as PostgreSQL defines them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) "
            "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [[m._meta.db_table for m in BULKY_TABLES]] * 2,
        )
        return cursor.fetchall()


def test_a_big_load_makes_the_indexes_again_and_gives_the_same_rows(db, monkeypatch):
    seed()
    small, before = rows(), catalog() if connection.vendor == "postgresql" else None
    # Every load counts as big: indexes and foreign keys are dropped for it and made again.
    monkeypatch.setattr(seed_demo, "DEFER_INDEXES_FROM", 0)
    seed(reset=True)
    assert rows() == small
    if connection.vendor == "postgresql":
        assert before and catalog() == before


def test_a_big_load_that_breaks_a_unique_constraint_keeps_nothing(db, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("indexes are only deferred on PostgreSQL")
    seed()
    before, demo = catalog(), rows()
    monkeypatch.setattr(seed_demo, "DEFER_INDEXES_FROM", 0)
    plans = seed_demo.Command._plans

    def plans_and_a_twin(self, today, users):
        plans(self, today, users)
        # A second customer with the first one's external id: found when the unique constraint
        # is made again, after the load.
        insert_objects(Customer, [Customer(name="Twin", external_id="demo-customer-1", owner=users["rep1"])])

    monkeypatch.setattr(seed_demo.Command, "_plans", plans_and_a_twin)
    with pytest.raises(IntegrityError):
        seed(reset=True)
    assert catalog() == before
    assert rows() == demo


@pytest.mark.django_db(transaction=True)
def test_a_big_load_is_vacuumed_and_analysed_once_committed(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("VACUUM is PostgreSQL's")
    monkeypatch.setattr(seed_demo, "DEFER_INDEXES_FROM", 0)
    output = StringIO()
    call_command("seed_demo", stdout=output, customers=20, deals=60, verbosity=2)
    assert "vacuum and statistics:" in output.getvalue()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relid = ANY(%s::regclass[]) "
            "AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL ORDER BY 1",
            [[m._meta.db_table for m in BULKY_TABLES]],
        )
        vacuumed = [name for (name,) in cursor.fetchall()]
    assert vacuumed == sorted(m._meta.db_table for m in BULKY_TABLES)
