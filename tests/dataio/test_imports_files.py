"""Reading files in every encoding, and cells in every money, date and boolean style."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from dataio.imports.readers import ReadError, read_table
from dataio.imports.values import parse_bool, parse_date, parse_money
from tests.dataio.imports_helpers import deals_text

ENCODINGS = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8 with BOM": lambda t: t.encode("utf-8-sig"),
    "utf-16 with BOM": lambda t: t.encode("utf-16"),
    "utf-16-le without BOM": lambda t: t.encode("utf-16-le"),
    "utf-16-be without BOM": lambda t: t.encode("utf-16-be"),
    "cp1252": lambda t: t.replace("–", "-").encode("cp1252"),
}


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_it_reads_the_same_table_whatever_the_encoding(encoding):
    text = deals_text()
    if encoding == "cp1252":
        text = text.replace("–", "-")  # the en dash is in cp1252, but keep the comparison simple
    table = read_table(ENCODINGS[encoding](text), "deals.csv")
    assert table.headers[0] == "Ref"  # no BOM left on the first header
    assert table.rows[0][0] == 2
    assert table.rows[0][1][2] == "Café Müller"
    assert len(table.rows) == 10


def test_it_reads_cp1252_that_is_not_utf8():
    table = read_table("Name,Amount\r\nPâtisserie €uro,5\r\n".encode("cp1252"), "x.csv")
    assert table.encoding == "cp1252"
    assert table.rows == [(2, ["Pâtisserie €uro", "5"])]


def test_it_reads_semicolon_separated_files():
    table = read_table(b"Name;Amount\nA;1,234.50\n", "x.csv")
    assert table.rows == [(2, ["A", "1,234.50"])]


def test_it_numbers_rows_as_a_spreadsheet_shows_them_even_with_line_breaks_in_cells():
    table = read_table(b'Name,Notes\nA,"two\nlines"\n\nB,x\n', "x.csv")
    assert [number for number, _cells in table.rows] == [2, 4]


def test_it_reads_xlsx_with_dates_and_numbers_as_text():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Deal", "Value", "Closed", "Won"])
    sheet.append(["A", 1234.56, datetime.datetime(2017, 3, 15), True])
    sheet.append([None, None, None, None])
    sheet.append(["B", 7000, datetime.date(2018, 1, 2), False])
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_table(buffer.getvalue(), "deals.xlsx")
    assert table.headers == ["Deal", "Value", "Closed", "Won"]
    assert table.rows == [
        (2, ["A", "1234.56", "2017-03-15", "TRUE"]),
        (4, ["B", "7000", "2018-01-02", "FALSE"]),
    ]


def test_it_refuses_a_file_with_two_columns_of_the_same_name():
    with pytest.raises(ReadError, match="Two columns"):
        read_table(b"Name,Name\na,b\n", "x.csv")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1234.56", "1234.56"), ("1,234.56", "1234.56"), ("$1,234,567.5", "1234567.50"), ("0", "0.00")],
)
def test_it_reads_money_as_decimal(text, expected):
    value = parse_money(text)
    assert isinstance(value, Decimal)
    assert value == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12,34", "not a number"),
        ("1.234,56", "not a number"),
        ("abc", "not a number"),
        ("-5", "negative"),
        ("1.005", "two decimals"),
        ("1e5", "not a number"),
    ],
)
def test_it_rejects_garbage_money_with_a_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_money(text)


@pytest.mark.parametrize(
    ("style", "true", "false"),
    [("1/empty", "1", ""), ("true/false", "TRUE", "false"), ("yes/no", "Yes", "no")],
)
def test_it_reads_each_boolean_style(style, true, false):
    assert parse_bool(true, style) is True
    assert parse_bool(false, style) is False
    with pytest.raises(ValueError, match="yes/no value"):
        parse_bool("maybe", style)


def test_it_reads_dates_in_the_mapped_format_and_iso_always():
    assert parse_date("15/03/2017", ["%d/%m/%Y"]) == datetime.date(2017, 3, 15)
    assert parse_date("2017-03-15", ["%d/%m/%Y"]) == datetime.date(2017, 3, 15)
    assert parse_date("2024-01-22T16:14:25.000+0000", ["%Y-%m-%d"]) == datetime.date(2024, 1, 22)
    with pytest.raises(ValueError, match="not a date"):
        parse_date("03/15/2017", ["%d/%m/%Y"])
