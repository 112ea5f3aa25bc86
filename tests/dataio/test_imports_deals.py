"""Importing deals: every encoding and style, all or nothing, re-imports, history kept as it was."""

import datetime
import io
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from customers.models import Customer
from dataio.imports import Mapping, run_import
from dataio.imports.values import start_of_day
from history.models import ChangeLog
from sales.actions import open_deal
from sales.models import Deal, Product, SalesRecord, Stage, StageChange
from tests.dataio.imports_helpers import (
    BOOLEAN_STYLES,
    DATE_STYLES,
    FIXTURES,
    deals_mapping,
    deals_text,
    restyle,
)
from tests.dataio.test_imports_files import ENCODINGS
from tests.factories import CustomerFactory, ProductFactory, RepFactory, lost_reason

MAPPINGS = Path(__file__).resolve().parent.parent.parent / "mappings"


@pytest.fixture
def owners(db):
    return RepFactory(username="alice"), RepFactory(username="bob")


def _import(text_or_bytes, user, mapping=None, dry_run=False, name="deals.csv"):
    data = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
    return run_import(data, name, mapping or deals_mapping(), user=user, dry_run=dry_run)


def _assert_the_hand_made_history(report):
    assert report.problems == []
    assert report.committed
    assert Deal.objects.count() == 10
    won = Deal.objects.get(external_id="D-001")
    assert won.title == "Café Müller – espresso machines"
    assert (won.status, won.stage.key, won.amount) == ("won", "buy", Decimal("12500.00"))
    assert won.opened_on == datetime.date(2017, 1, 10)
    assert won.closed_on == datetime.date(2017, 3, 15)
    assert won.sales_records.get().sold_on == datetime.date(2017, 3, 15)
    assert won.sales_records.get().amount == Decimal("12500.00")
    entry, win = won.stage_changes.order_by("changed_at", "pk")
    assert (entry.from_stage, entry.to_stage.key, entry.changed_at) == (
        None,
        "lead",
        start_of_day(won.opened_on),
    )
    assert (win.to_stage.key, win.status, win.changed_at) == ("buy", "won", start_of_day(won.closed_on))
    lost = Deal.objects.get(external_id="D-002")
    # A reason the list knows by name is that reason; any other text is the note of "Other".
    assert (lost.status, lost.stage.key) == ("lost", "choose")
    assert (lost.lost_reason.name, lost.lost_note) == ("Chose a competitor", "")
    assert lost.closed_on == datetime.date(2017, 4, 20)
    assert not lost.sales_records.exists()
    assert Deal.objects.get(external_id="D-004").stage.key == "choose"
    budget_cut = Deal.objects.get(external_id="D-006")
    assert (budget_cut.lost_reason.name, budget_cut.lost_note) == ("Other", "Budget cut")
    assert SalesRecord.objects.count() == 5


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_it_imports_the_hand_made_file_in_each_encoding(owners, admin_user, encoding):
    text = deals_text()
    if encoding == "cp1252":
        # Windows-1252 has the en dash, so the file keeps its title exactly.
        assert text.encode("cp1252").decode("cp1252") == text
        data = text.encode("cp1252")
    else:
        data = ENCODINGS[encoding](text)
    _assert_the_hand_made_history(_import(data, admin_user))


@pytest.mark.parametrize("booleans", BOOLEAN_STYLES)
@pytest.mark.parametrize("date_format", DATE_STYLES)
def test_it_imports_each_boolean_and_date_style(owners, admin_user, booleans, date_format):
    text = restyle(deals_text(), date_format=date_format, booleans=booleans)
    mapping = deals_mapping(date_formats=[date_format], booleans=booleans)
    _assert_the_hand_made_history(_import(text, admin_user, mapping))


def test_it_imports_an_xlsx_workbook(owners, admin_user):
    import csv

    book = openpyxl.Workbook()
    for i, row in enumerate(csv.reader(io.StringIO(deals_text()))):
        if i and row[7]:
            row[7:10] = [datetime.date.fromisoformat(v) if v else None for v in row[7:10]]
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    _assert_the_hand_made_history(_import(buffer.getvalue(), admin_user, name="deals.xlsx"))


def test_one_bad_row_writes_nothing_and_the_report_names_it(owners, admin_user):
    text = deals_text().replace("1999.99", "19.99.9")
    report = _import(text, admin_user)
    assert not report.committed
    assert [(p.row, p.column) for p in report.problems] == [(5, "Value")]
    assert "not a number" in report.problems[0].reason
    assert Deal.objects.count() == 0
    assert (Customer.objects.count(), Product.objects.count(), StageChange.objects.count()) == (0, 0, 0)


def test_the_report_names_every_bad_row_with_its_column_and_reason(owners, admin_user):
    text = (
        deals_text()
        .replace("D-003,Harbour cafés,Harbour Foods,bob", "D-003,Harbour cafés,Harbour Foods,nobody")
        .replace("2017-10-10", "10/10/2017")
        .replace(",Qualified,", ",Pondering,")
        .replace("D-009,", "D-001,")
    )
    report = _import(text, admin_user)
    found = {(p.row, p.column) for p in report.problems}
    assert found == {(4, "Rep"), (7, "Opened"), (8, "Stage"), (10, "Ref")}
    reasons = " | ".join(p.reason for p in report.problems)
    assert "No user “nobody”" in reasons
    assert "not a date" in reasons
    assert "“Pondering” is not a stage" in reasons
    assert "same external id is on row 2" in reasons
    assert Deal.objects.count() == 0


def test_without_a_won_stage_a_won_row_is_refused_with_the_reason_and_open_deals_still_import(
    owners, admin_user
):
    Stage.objects.filter(kind=Stage.Kind.WON).update(kind=Stage.Kind.AFTER_SALE)
    header = "Ref,Deal,Company,Rep,Value,Stage,Won,Opened,Closed,Expected close,Lost because,Product\r\n"
    open_row = "R-1,Open one,Acme,alice,100,Proposal,,2025-01-01,,2025-03-01,,\r\n"
    won_row = "R-2,Won one,Acme,alice,100,,1,2025-01-01,2025-02-01,,,\r\n"
    report = _import(header + open_row + won_row, admin_user)
    assert [(p.row, p.column) for p in report.problems] == [(3, "Stage")]
    assert "No stage is set up as the won stage" in report.problems[0].reason
    assert _import(header + open_row, admin_user).committed
    assert list(Deal.objects.values_list("title", "status")) == [("Open one", "open")]


def test_a_dry_run_checks_everything_and_writes_nothing(owners, admin_user):
    report = _import(deals_text(), admin_user, dry_run=True)
    assert (report.ok, report.created, report.committed) == (True, 10, False)
    assert report.added == {"Customer": 4, "Product": 2}
    assert Deal.objects.count() == 0


def test_a_re_import_writes_no_duplicates(owners, admin_user):
    _import(deals_text(), admin_user)
    counts = (
        Deal.objects.count(),
        StageChange.objects.count(),
        SalesRecord.objects.count(),
        Customer.objects.count(),
    )
    report = _import(deals_text(), admin_user)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 10)
    assert (
        Deal.objects.count(),
        StageChange.objects.count(),
        SalesRecord.objects.count(),
        Customer.objects.count(),
    ) == counts


def test_a_re_import_updates_changed_deals_through_the_verbs(owners, admin_user):
    _import(deals_text(), admin_user)
    text = deals_text().replace(
        "D-007,Bakery chain pilot,Brot & Co,alice,4200.00,Qualified,,2018-01-15,,",
        "D-007,Bakery chain pilot,Brot & Co,alice,4800.00,Won,1,2018-01-15,2018-04-02,",
    )
    report = _import(text, admin_user)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 9)
    deal = Deal.objects.get(external_id="D-007")
    assert (deal.status, deal.stage.key, deal.amount) == ("won", "buy", Decimal("4800.00"))
    assert deal.closed_on == datetime.date(2018, 4, 2)
    assert deal.sales_records.get().sold_on == datetime.date(2018, 4, 2)
    assert deal.stage_changes.last().changed_at == start_of_day(datetime.date(2018, 4, 2))
    assert ChangeLog.objects.for_object(deal).filter(action="updated", changed_by=admin_user).exists()


def test_a_re_import_refuses_to_reopen_a_won_deal(owners, admin_user):
    _import(deals_text(), admin_user)
    text = deals_text().replace(
        "D-009,Harbour service plan,Harbour Foods,bob,980.00,Won,1",
        "D-009,Harbour service plan,Harbour Foods,bob,980.00,Proposal,",
    )
    report = _import(text, admin_user)
    assert [(p.row, p.column) for p in report.problems] == [(10, "Stage")]
    assert Deal.objects.get(external_id="D-009").status == "won"


def _verb_built(*, customer, owner, product, stage_key, opened, closed=None, status="open", reason="", by):
    stages = {s.key: s for s in Stage.objects.all()}
    deal = Deal(
        customer=customer,
        title="Same deal",
        owner=owner,
        amount=Decimal("1234.50"),
        stage=stages["lead"],
        opened_on=opened,
        expected_close=datetime.date(2017, 6, 30),
        channel="Referral",
        product=product,
    )
    open_deal(deal, by=by, at=start_of_day(opened))
    if status == "won":
        deal.move_to(stages[stage_key], by=by, at=start_of_day(closed))
    else:
        deal.move_to(stages[stage_key], by=by, at=start_of_day(opened))
        if status == "lost":
            deal.mark_lost(lost_reason(), note=reason, by=by, on=closed, at=start_of_day(closed))
    return deal


def _state(deal):
    skip = {"id", "external_id", "created_at", "updated_at"}
    fields = {f.attname: getattr(deal, f.attname) for f in Deal._meta.concrete_fields if f.name not in skip}
    changes = [
        (
            c.from_stage_id,
            c.to_stage_id,
            c.status,
            c.changed_at,
            c.changed_by_id,
            c.amount,
            c.probability,
            c.expected_close,
        )
        for c in deal.stage_changes.order_by("changed_at", "pk")
    ]
    record = (
        SalesRecord.objects.filter(deal=deal)
        .values("customer", "owner", "product", "amount", "sold_on", "note")
        .first()
    )
    return fields, changes, record


@pytest.mark.parametrize(
    ("stage_text", "stage_key", "status", "closed"),
    [
        ("Won", "buy", "won", datetime.date(2017, 5, 2)),
        ("Lost", "choose", "lost", datetime.date(2017, 5, 2)),
        ("Proposal", "choose", "open", None),
        ("Qualified", "understand", "open", None),
    ],
)
def test_an_imported_deal_equals_one_built_through_the_verbs(
    admin_user, stage_text, stage_key, status, closed
):
    owner = RepFactory(username="alice")
    customer = CustomerFactory(name="Acme", owner=owner)
    product = ProductFactory(name="Grinder X")
    opened = datetime.date(2017, 1, 10)
    verbs = _verb_built(
        customer=customer, owner=owner, product=product, stage_key=stage_key, opened=opened,
        closed=closed, status=status, reason="Too dear", by=admin_user,
    )  # fmt: skip
    text = (
        "Ref,Deal,Company,Rep,Value,Stage,Won,Opened,Closed,Expected close,Lost because,Product,Channel\n"
        f'X-1,Same deal,Acme,alice,"1,234.50",{stage_text},{"1" if status == "won" else ""},2017-01-10,'
        f"{closed or ''},2017-06-30,Too dear,Grinder X,Referral\n"
    )
    from tests.dataio.imports_helpers import DEALS_MAPPING

    mapping = deals_mapping(fields={**DEALS_MAPPING["fields"], "channel": "Channel"})
    report = _import(text, admin_user, mapping)
    assert report.committed, report.problems
    imported = Deal.objects.get(external_id="X-1")
    assert _state(imported) == _state(verbs)


def test_a_manager_imports_only_for_owners_they_may_see(manager, team, rep, other_rep):
    text = (
        "Ref,Deal,Company,Rep,Value,Stage,Won,Opened,Closed,Expected close,Lost because,Product\n"
        "M-1,Mine,Acme,rep,100,Lead,,2018-01-01,,,,\n"
        "M-2,Not mine,Acme,other_rep,100,Lead,,2018-01-01,,,,\n"
    )
    report = _import(text, manager)
    assert [(p.row, p.column) for p in report.problems] == [(3, "Rep")]
    assert "may not import records for other_rep" in report.problems[0].reason
    report = _import(text.splitlines()[0] + "\n" + text.splitlines()[1] + "\n", manager)
    assert report.committed
    assert Deal.objects.get().owner == rep


def test_a_manager_cannot_update_another_teams_deal_by_its_external_id(manager, team, rep, other_rep):
    from tests.factories import DealFactory

    DealFactory(owner=other_rep, customer=CustomerFactory(owner=other_rep), external_id="M-1")
    text = (
        "Ref,Deal,Company,Rep,Value,Stage,Won,Opened,Closed,Expected close,Lost because,Product\n"
        "M-1,Mine,Acme,rep,100,Lead,,2018-01-01,,,,\n"
    )
    report = _import(text, manager)
    assert [(p.row, p.column) for p in report.problems] == [(2, "Ref")]


def test_the_mapping_names_columns_the_file_does_not_have(owners, admin_user):
    text = deals_text().replace("Lost because", "Why lost")
    report = _import(text, admin_user)
    assert [(p.row, p.column) for p in report.problems] == [(1, "Lost because")]


def _load(name):
    return Mapping.from_dict(json.loads((MAPPINGS / name).read_text()))


def test_the_shipped_salesforce_mappings_import_the_real_export(admin_user):
    accounts = (FIXTURES / "salesforce-Account.csv").read_bytes()
    opportunities = (FIXTURES / "salesforce-Opportunity.csv").read_bytes()
    report = run_import(accounts, "Account.csv", _load("salesforce-account.json"), user=admin_user)
    assert (report.committed, report.created) == (True, 11), report.problems
    report = run_import(
        opportunities, "Opportunity.csv", _load("salesforce-opportunity.json"), user=admin_user
    )
    assert (report.committed, report.created) == (True, 26), report.problems

    import csv

    rows = list(csv.DictReader(io.StringIO(opportunities.decode("utf-8-sig"))))
    won = [r for r in rows if r["StageName"] == "Closed Won"]
    lost = [r for r in rows if r["StageName"] == "Closed Lost"]
    assert Deal.objects.won().count() == len(won) == 3
    assert Deal.objects.lost().count() == len(lost) == 1
    assert sum(d.amount for d in Deal.objects.won()) == sum(Decimal(r["Amount"]) for r in won)
    for r in won:
        deal = Deal.objects.get(external_id=r["Id"])
        assert deal.closed_on.isoformat() == r["CloseDate"]
        assert deal.customer.external_id == r["AccountId"]
        assert deal.product.name == r["Product__c"]
    walker = Customer.objects.get(external_id="001Ec00000GGw3hIAD")
    assert walker.name == "Walker Henson and Compton"
    assert walker.address == "757 William Pass Apt. 782, Katherinemouth, ID, 74929, United States"
    # A second run of both files changes nothing.
    assert (
        run_import(accounts, "Account.csv", _load("salesforce-account.json"), user=admin_user).unchanged == 11
    )
    again = run_import(
        opportunities, "Opportunity.csv", _load("salesforce-opportunity.json"), user=admin_user
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 26)


def test_a_row_with_more_cells_than_columns_is_reported(owners, admin_user):
    report = _import(deals_text().replace("1999.99", "1999,99"), admin_user)
    assert [(p.row, p.column) for p in report.problems] == [(5, "")]
    assert "comma unquoted" in report.problems[0].reason
