"""Importing customers, sales records, activities and plans."""

import datetime
from decimal import Decimal

import pytest

from customers.models import Customer
from dataio.imports import Mapping, MappingError, guess_mapping, read_table, run_import
from history.models import ChangeLog
from sales.models import Activity, SalesPlan, SalesRecord
from tests.dataio.imports_helpers import FIXTURES
from tests.factories import CustomerFactory, DealFactory, RepFactory

CUSTOMERS = {
    "kind": "customers",
    "fields": {
        "external_id": "Customer ID",
        "name": "Company",
        "owner": {"column": "Owner email", "match": "email"},
        "industry": "Industry",
        "region": "Region",
        "channel": "Source",
        "need": "Budget",
        "email": "Email",
    },
}


@pytest.fixture
def owners(db):
    return RepFactory(username="alice"), RepFactory(username="bob")


def test_it_imports_customers_matching_owners_by_email(owners, admin_user):
    data = (FIXTURES / "customers.csv").read_bytes()
    report = run_import(data, "customers.csv", Mapping.from_dict(CUSTOMERS), user=admin_user)
    assert report.committed, report.problems
    cafe = Customer.objects.get(external_id="C-1")
    assert (cafe.name, cafe.owner.username, cafe.need) == ("Café Müller", "alice", Decimal("30000.00"))
    assert Customer.objects.get(external_id="C-3").need == Decimal("9000.50")
    assert ChangeLog.objects.for_object(cafe).get().action == "created"
    again = run_import(data, "customers.csv", Mapping.from_dict(CUSTOMERS), user=admin_user)
    assert (again.created, again.unchanged, Customer.objects.count()) == (0, 4, 4)


def test_a_re_import_updates_a_customer_and_records_the_change(owners, admin_user):
    data = (FIXTURES / "customers.csv").read_bytes()
    run_import(data, "customers.csv", Mapping.from_dict(CUSTOMERS), user=admin_user)
    changed = data.replace(b"Logistics", b"Shipping")
    report = run_import(changed, "customers.csv", Mapping.from_dict(CUSTOMERS), user=admin_user)
    assert (report.updated, report.unchanged) == (1, 3)
    nordwind = Customer.objects.get(external_id="C-2")
    assert nordwind.industry == "Shipping"
    log = ChangeLog.objects.for_object(nordwind).filter(action="updated").get()
    assert log.changes == {"industry": ["Logistics", "Shipping"]}


def test_a_bad_email_and_a_bad_budget_are_reported_by_row_and_column(owners, admin_user):
    data = (FIXTURES / "customers.csv").read_bytes().replace(b"sales@harbour.example", b"not-an-email")
    data = data.replace(b",40000,", b",forty thousand,")
    report = run_import(data, "customers.csv", Mapping.from_dict(CUSTOMERS), user=admin_user)
    assert [(p.row, p.column) for p in report.problems] == [(4, "Email"), (5, "Budget")]
    assert Customer.objects.count() == 0


def test_a_rep_owner_that_does_not_exist_can_be_created_by_an_admin_only(admin_user, manager, team):
    mapping = {
        "kind": "customers",
        "fields": {"name": "Name", "owner": {"column": "Owner", "missing": "create"}},
    }
    data = b"Name,Owner\nAcme,newbie\nBeta,newbie\n"
    report = run_import(data, "c.csv", Mapping.from_dict(mapping), user=manager)
    assert {(p.row, p.column) for p in report.problems} == {(2, "Owner"), (3, "Owner")}
    report = run_import(data, "c.csv", Mapping.from_dict(mapping), user=admin_user)
    assert report.committed and report.added == {"Owner": 1}
    newbie = Customer.objects.get(name="Acme").owner
    assert newbie.username == "newbie" and not newbie.has_usable_password()
    assert Customer.objects.get(name="Beta").owner == newbie


def test_it_imports_sales_records_with_their_historic_dates(owners, admin_user):
    alice, _bob = owners
    CustomerFactory(name="Acme", owner=alice)
    deal = DealFactory(owner=alice, customer=CustomerFactory(owner=alice), external_id="D-9")
    mapping = Mapping.from_dict(
        {
            "kind": "sales",
            "date_formats": ["%d/%m/%Y"],
            "fields": {
                "external_id": "Invoice",
                "customer": "Customer",
                "amount": "Total",
                "sold_on": "Date",
                "deal": "Deal",
            },
        }
    )
    data = b'Invoice,Customer,Total,Date,Deal\nI-1,Acme,"1,000.00",05/02/2016,\nI-2,,250,06/02/2016,D-9\n'
    report = run_import(data, "s.csv", mapping, user=admin_user)
    assert report.committed, report.problems
    first = SalesRecord.objects.get(external_id="I-1")
    assert (first.sold_on, first.amount, first.owner) == (
        datetime.date(2016, 2, 5),
        Decimal("1000.00"),
        alice,
    )
    second = SalesRecord.objects.get(external_id="I-2")
    assert (second.deal, second.customer) == (deal, deal.customer)
    assert run_import(data, "s.csv", mapping, user=admin_user).unchanged == 2
    assert SalesRecord.objects.count() == 2


def test_it_imports_activities_with_a_done_flag(owners, admin_user):
    alice, _bob = owners
    CustomerFactory(name="Acme", owner=alice)
    mapping = Mapping.from_dict(
        {
            "kind": "activities",
            "booleans": "yes/no",
            "date_formats": ["%Y-%m-%d %H:%M", "%Y-%m-%d"],
            "fields": {
                "external_id": "Id",
                "kind": {"column": "Type", "values": {"Phone": "call", "Visit": "meeting"}},
                "subject": "Subject",
                "customer": "Customer",
                "due_at": "Due",
                "done": "Done",
            },
        }
    )
    data = (
        b"Id,Type,Subject,Customer,Due,Done\n"
        b"A-1,Phone,Intro call,Acme,2017-03-01 10:30,yes\n"
        b"A-2,Visit,Demo,Acme,2017-03-08,no\n"
    )
    report = run_import(data, "a.csv", mapping, user=admin_user)
    assert report.committed, report.problems
    call = Activity.objects.get(external_id="A-1")
    assert (call.kind, call.owner, call.done_at) == ("call", alice, call.due_at)
    assert call.due_at.date() == datetime.date(2017, 3, 1)
    assert Activity.objects.get(external_id="A-2").done_at is None


def test_an_activity_type_without_a_translation_is_reported(owners, admin_user):
    CustomerFactory(name="Acme", owner=owners[0])
    mapping = Mapping.from_dict(
        {"kind": "activities", "fields": {"kind": "Type", "subject": "S", "customer": "C"}}
    )
    report = run_import(b"Type,S,C\nSmoke signal,Hi,Acme\n", "a.csv", mapping, user=admin_user)
    assert [(p.row, p.column) for p in report.problems] == [(2, "Type")]
    assert "not one of call" in report.problems[0].reason


def test_it_imports_plans_and_a_manager_only_for_their_team(admin_user, manager, team, rep):
    mapping = Mapping.from_dict(
        {
            "kind": "plans",
            "fields": {
                "external_id": "Id",
                "name": "Name",
                "period_start": "From",
                "period_end": "To",
                "team": "Team",
                "rep": "Rep",
                "target_ratio": "M",
                "activity_ratio": "P",
                "revenue_quota": "Quota",
            },
        }
    )
    data = (
        b"Id,Name,From,To,Team,Rep,M,P,Quota\n"
        b'P-1,North 2017,2017-01-01,2017-12-31,North,,0.5,0.6,"100,000"\n'
        b"P-2,Rep 2017,2017-01-01,2017-12-31,,rep,0.4,0.5,\n"
        b"P-3,Company 2017,2017-01-01,2017-12-31,,,0.5,0.6,\n"
    )
    report = run_import(data, "p.csv", mapping, user=manager)
    assert [(p.row, p.column) for p in report.problems] == [(4, "Name")]
    report = run_import(data, "p.csv", mapping, user=admin_user)
    assert report.committed, report.problems
    north = SalesPlan.objects.get(external_id="P-1")
    assert (north.scope, north.team, north.revenue_quota) == ("team", team, Decimal("100000.00"))
    assert SalesPlan.objects.get(external_id="P-2").rep == rep
    assert SalesPlan.objects.get(external_id="P-3").scope == "company"


def test_a_mapping_with_an_unknown_field_or_no_required_column_is_refused():
    with pytest.raises(MappingError, match="no field “colour”"):
        Mapping.from_dict({"kind": "deals", "fields": {"title": "T", "customer": "C", "colour": "X"}})
    with pytest.raises(MappingError, match="required field “Title”"):
        Mapping.from_dict({"kind": "deals", "fields": {"customer": "C"}})
    with pytest.raises(MappingError, match="cannot be created"):
        Mapping.from_dict(
            {
                "kind": "deals",
                "fields": {
                    "title": "T",
                    "customer": {"column": "C", "match": "external_id", "missing": "create"},
                },
            }
        )


def test_it_guesses_the_salesforce_columns():
    table = read_table((FIXTURES / "salesforce-Opportunity.csv").read_bytes(), "o.csv")
    guess = guess_mapping("deals", table.headers)
    columns = {name: fm.columns[0] for name, fm in guess.fields.items()}
    assert columns["external_id"] == "Id"
    assert columns["title"] == "Name"
    assert columns["customer"] == "AccountId"
    assert columns["owner"] == "OwnerId"
    assert columns["amount"] == "Amount"
    assert columns["stage"] == "StageName"
    assert columns["closed_on"] == "CloseDate"
    assert columns["expected_close"] == "CloseDate"
    assert columns["opened_on"] == "CreatedDate"
    assert columns["product"] == "Product__c"
    assert columns["is_won"] == "IsWon"


def test_it_guesses_a_type_column_of_companies_and_people_as_the_customer_kind():
    headers = ["Customer", "Type", "Estimated need"]
    samples = {"Type": ["Company", "person", "COMPANY"], "Estimated need": ["$12,000.00", "5000"]}
    columns = {
        name: fm.columns[0] for name, fm in guess_mapping("customers", headers, samples).fields.items()
    }
    assert columns == {"name": "Customer", "kind": "Type", "need": "Estimated need"}


def test_it_leaves_a_type_column_of_other_values_unmapped():
    samples = {"Type": ["Customer - Direct", "Prospect", "Partner"]}
    guess = guess_mapping("customers", ["Account Name", "Type"], samples)
    assert "kind" not in guess.fields
