"""Imports leave history as the pages do: as the importing user's doing, or nobody's from the
command line without --user."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from customers.models import Customer
from dataio.imports import Mapping, run_import
from history.models import ChangeLog
from sales.models import Deal, SalesRecord, Stage
from tests.dataio.imports_helpers import DEALS_MAPPING, FIXTURES, deals_text
from tests.dataio.test_imports_kinds import CUSTOMERS
from tests.factories import AdminFactory, CustomerFactory, RepFactory


@pytest.fixture
def files(tmp_path, db):
    RepFactory(username="alice", email="alice@example.com")
    RepFactory(username="bob", email="bob@example.com")
    paths = {
        "customers": FIXTURES / "customers.csv",
        "changed customers": tmp_path / "changed.csv",
        "customers mapping": tmp_path / "customers.json",
        "deals": tmp_path / "deals.csv",
        "moved deals": tmp_path / "moved.csv",
        "deals mapping": tmp_path / "deals.json",
    }
    paths["changed customers"].write_bytes(paths["customers"].read_bytes().replace(b"Logistics", b"Shipping"))
    paths["customers mapping"].write_text(json.dumps(CUSTOMERS))
    paths["deals"].write_text(deals_text(), encoding="utf-8")
    # D-010 moves on from Lead to Qualified in the second file.
    paths["moved deals"].write_text(deals_text().replace("Lead,,2018-02-01", "Qualified,,2018-02-01"))
    paths["deals mapping"].write_text(json.dumps(DEALS_MAPPING))
    return paths


def run(kind: str, files: dict, name: str, *options: str) -> None:
    call_command("import_data", kind, str(files[name]), "--mapping", str(files[f"{kind} mapping"]), *options)


def history(obj, action: str) -> list[ChangeLog]:
    return list(ChangeLog.objects.for_object(obj).filter(action=action))


def test_a_command_line_import_without_a_user_records_history_by_nobody(files):
    run("customers", files, "customers")
    run("customers", files, "changed customers")
    nordwind = Customer.objects.get(external_id="C-2")
    (created,) = history(nordwind, ChangeLog.Action.CREATED)
    (updated,) = history(nordwind, ChangeLog.Action.UPDATED)
    assert (created.changed_by, created.changes["name"]) == (None, ["", "Nordwind GmbH"])
    assert (updated.changed_by, updated.changes) == (None, {"industry": ["Logistics", "Shipping"]})


def test_a_command_line_import_with_a_user_records_history_as_theirs(files):
    boss = AdminFactory(username="boss")
    run("customers", files, "customers", "--user", "boss")
    run("customers", files, "changed customers", "--user", "boss")
    nordwind = Customer.objects.get(external_id="C-2")
    assert [row.changed_by for row in ChangeLog.objects.for_object(nordwind)] == [boss, boss]


def test_a_deal_import_records_the_customers_it_adds_and_the_moves_of_deals_it_updates(files):
    boss = AdminFactory(username="boss")
    run("deals", files, "deals", "--user", "boss")
    cafe = Customer.objects.get(name="Café Müller")
    assert history(cafe, ChangeLog.Action.CREATED)[0].changed_by == boss
    grinders = Deal.objects.get(external_id="D-010")
    # A new deal's entry stage change says who brought it in; no "created" row (see DealImporter).
    assert not ChangeLog.objects.for_object(grinders).exists()
    run("deals", files, "moved deals")
    (moved,) = history(grinders, ChangeLog.Action.UPDATED)
    assert moved.changed_by is None
    lead, understand = Stage.objects.get(key="lead"), Stage.objects.get(key="understand")
    assert moved.changes["stage"] == [str(lead.pk), str(understand.pk)]


def test_bulk_written_sales_records_get_their_history_in_bulk(admin_user, rep):
    CustomerFactory(name="Acme", owner=rep)
    mapping = Mapping.from_dict(
        {
            "kind": "sales",
            "fields": {
                "external_id": "Invoice",
                "customer": "Customer",
                "amount": "Total",
                "sold_on": "Date",
            },
        }
    )
    report = run_import(
        b"Invoice,Customer,Total,Date\nI-1,Acme,250,2025-03-01\n", "s.csv", mapping, user=admin_user
    )
    assert report.committed, report.problems
    record = SalesRecord.objects.get(external_id="I-1")
    (created,) = history(record, ChangeLog.Action.CREATED)
    assert (created.changed_by, created.changes["amount"]) == (admin_user, ["", "250.00"])
    report = run_import(
        b"Invoice,Customer,Total,Date\nI-1,Acme,300,2025-03-01\n", "s.csv", mapping, user=admin_user
    )
    assert report.updated == 1
    (updated,) = history(record, ChangeLog.Action.UPDATED)
    assert (updated.changed_by, updated.changes) == (admin_user, {"amount": ["250.00", "300.00"]})
    assert SalesRecord.objects.get(external_id="I-1").amount == Decimal("300.00")
