"""Exports of the customer, deal and sales-record lists: formulas neutralised, visibility honoured."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from dataio.exports import neutralise
from tests.factories import CustomerFactory, DealFactory, SalesRecordFactory, lost_reason


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        " =1+1",
        "   +cmd",
        "\t=1+1",
        "\t-2",
        " \t @A1",
        "\r=1",
        "\n=1",
        "\r\n-1",
        "\tplain text after a tab",
        "\rplain text after a carriage return",
        '=HYPERLINK("http://evil.example","click")',
    ],
)
def test_it_neutralises_what_a_spreadsheet_would_run(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Acme", "a=b", "1-2", "e-mail", "x@example.com", " plain", "'quoted"])
def test_it_leaves_ordinary_text_alone(text):
    assert neutralise(text) == text


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _xlsx_rows(response):
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows())


def test_the_customer_csv_quotes_formulas_but_keeps_negative_numbers(rep_client, rep):
    CustomerFactory(owner=rep, name=" \t=HYPERLINK(1)", industry="@evil", need=Decimal("-5.50"))
    response = rep_client.get("/customers/export/", {"format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    header, row = _csv_rows(response)
    values = dict(zip(header, row, strict=True))
    assert values["Name"] == "' \t=HYPERLINK(1)"
    assert values["Industry"] == "'@evil"
    assert values["Need"] == "-5.50"


def test_the_customer_xlsx_has_numeric_money_and_quoted_formulas(rep_client, rep):
    CustomerFactory(owner=rep, name="\t+1", phone="-123", need=Decimal("-1234.5"))
    response = rep_client.get("/customers/export/", {"format": "xlsx"})
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    header, row = _xlsx_rows(response)
    cells = {h.value: c for h, c in zip(header, row, strict=True)}
    assert cells["Name"].value == "'\t+1"
    assert cells["Name"].data_type == "s"
    assert cells["Phone"].value == "'-123"
    assert cells["Need"].data_type == "n"
    assert cells["Need"].value == pytest.approx(-1234.5)
    assert cells["Need"].number_format == "#,##0.00"


def test_control_characters_do_not_break_the_xlsx(rep_client, rep):
    CustomerFactory(owner=rep, name="Acme\x07\x1b Ltd")
    response = rep_client.get("/customers/export/", {"format": "xlsx"})
    assert response.status_code == 200
    assert _xlsx_rows(response)[1][1].value == "Acme Ltd"


def test_a_rep_exports_only_their_own_customers(rep_client, rep, other_rep):
    CustomerFactory(owner=rep, name="Mine")
    CustomerFactory(owner=other_rep, name="Theirs")
    names = [row[1] for row in _csv_rows(rep_client.get("/customers/export/"))[1:]]
    assert names == ["Mine"]


def test_a_manager_exports_their_teams_deals_only(manager_client, rep, other_rep):
    DealFactory(owner=rep, customer__owner=rep, title="Team deal")
    DealFactory(owner=other_rep, customer__owner=other_rep, title="Other team deal")
    titles = [row[1] for row in _csv_rows(manager_client.get("/deals/export/"))[1:]]
    assert titles == ["Team deal"]


def test_the_deal_export_follows_the_list_filters(rep_client, rep):
    DealFactory(owner=rep, customer__owner=rep, title="Still open")
    lost = DealFactory(owner=rep, customer__owner=rep, title="Gone")
    lost.mark_lost(lost_reason(), note="Too dear", by=rep)
    rows = _csv_rows(rep_client.get("/deals/export/", {"status": "lost", "format": "csv"}))
    assert [r[1] for r in rows[1:]] == ["Gone"]


def test_the_deal_xlsx_writes_amounts_and_dates_as_cells_of_their_type(rep_client, rep):
    DealFactory(
        owner=rep, customer__owner=rep, amount=Decimal("1500.25"), opened_on=datetime.date(2024, 2, 3)
    )
    header, row = _xlsx_rows(rep_client.get("/deals/export/", {"format": "xlsx"}))
    cells = {h.value: c for h, c in zip(header, row, strict=True)}
    assert cells["Amount"].value == pytest.approx(1500.25)
    assert cells["Amount"].number_format == "#,##0.00"
    assert cells["Opened on"].value.date() == datetime.date(2024, 2, 3)


def test_the_sales_record_export_follows_the_date_filter_and_visibility(rep_client, rep, other_rep):
    SalesRecordFactory(owner=rep, customer__owner=rep, sold_on=datetime.date(2024, 1, 10), note="early")
    SalesRecordFactory(owner=rep, customer__owner=rep, sold_on=datetime.date(2024, 5, 10), note="late")
    SalesRecordFactory(owner=other_rep, customer__owner=other_rep, sold_on=datetime.date(2024, 5, 10))
    rows = _csv_rows(rep_client.get("/sales-records/export/", {"start": "2024-03-01"}))
    assert [r[8] for r in rows[1:]] == ["late"]


def test_exports_need_a_signed_in_user(client):
    for url in ("/customers/export/", "/deals/export/", "/sales-records/export/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("rows", [3, 6])
def test_the_deal_export_runs_a_fixed_number_of_queries(rep_client, rep, django_assert_num_queries, rows):
    for _ in range(rows):
        DealFactory(owner=rep, customer__owner=rep)
    # session, user, the stage keys (the list filters check stage values against them), the count
    # that decides whether the worker writes it (CRM_EXPORT_BACKGROUND_ROWS), then one query for the
    # deals with customer, owner, stage and product joined, and the audit event
    with django_assert_num_queries(6):
        b"".join(rep_client.get("/deals/export/", {"format": "csv"}).streaming_content)


def test_the_customer_export_follows_the_list_filters_and_sort(rep_client, rep):
    CustomerFactory(owner=rep, name="Beta", region="North")
    CustomerFactory(owner=rep, name="Alpha", region="North")
    CustomerFactory(owner=rep, name="Gamma", region="South")
    rows = _csv_rows(rep_client.get("/customers/export/", {"region": "north", "sort": "-name"}))
    assert [r[1] for r in rows[1:]] == ["Beta", "Alpha"]
