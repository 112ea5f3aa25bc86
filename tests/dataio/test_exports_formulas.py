"""No exported cell is a formula, whatever invisible characters stand in front of the = + - @."""

import csv
import io
import itertools
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from openpyxl import load_workbook

from dataio import exports
from tests.factories import CustomerFactory, DealFactory, RepFactory, SalesRecordFactory

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
SINGLE = [chr(c) for c in range(0x20)] + ["\x7f", *ZERO_WIDTH, " "]
PAIRED = ["\t", "\r", "\n", " ", "\x00", "\x01", "\x08", "\x1b", "\x7f", "\u200b", "\ufeff"]
PREFIXES = SINGLE + ["".join(p) for p in itertools.product(PAIRED, repeat=2)] + ["\ufeff \t\r\n\x01\u200b"]
PAYLOAD = 'HYPERLINK("http://evil.example","x")'
CORPUS = [prefix + start + PAYLOAD for prefix in PREFIXES for start in "=+-@"]
# What a spreadsheet could still take for a formula: the start after anything it might skip.
LIVE = re.compile(r"^[\x00-\x20\x7f\u200b\u200c\u200d\u2060\ufeff]*[=+\-@]")


def _stored_corpus() -> list[str]:
    # PostgreSQL cannot store a NUL character at all, so such text never reaches an export there.
    if connection.vendor == "postgresql":
        return [text for text in CORPUS if "\x00" not in text]
    return CORPUS


def _csv_cells(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline="")))


def _xlsx_cells(response) -> list:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [cell for row in sheet.iter_rows() for cell in row]


def _assert_no_live_csv_cell(rows: list[list[str]], expected_rows: int) -> None:
    assert len(rows) == expected_rows + 1
    live = [cell for row in rows for cell in row if LIVE.match(cell)]
    assert not live, live[:5]


def _assert_no_formula_in_xlsx(cells, expected_cells: int) -> None:
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    assert not formulas, formulas[:5]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    live = [t for t in texts if LIVE.match(t)]
    assert not live, live[:5]
    assert len([t for t in texts if t.startswith("'")]) >= expected_cells


def _spread(texts: list[str], fields: tuple[str, ...]) -> list[dict[str, str]]:
    """The texts in turn in these fields: keyword arguments for one factory call each."""
    size = len(fields)
    return [dict(zip(fields, texts[i : i + size], strict=False)) for i in range(0, len(texts), size)]


def _quoted_cells(cells: list[str]) -> set[str]:
    return {cell[1:] for cell in cells if cell.startswith("'")}


@pytest.fixture
def corpus_customers(rep):
    """Every text of the corpus in one of the customers' text fields."""
    texts = _stored_corpus()
    fields = ("name", "industry", "region", "channel", "phone", "website", "address", "notes", "external_id")
    for values in _spread(texts, fields):
        CustomerFactory(owner=rep, **values)
    return texts


@pytest.fixture
def corpus_deals(team):
    texts = _stored_corpus()
    # A rep of the manager's team whose name is a formula too.
    person = RepFactory(username="formula_rep", first_name="\x01=cmd", last_name="\u200b@x")
    team.members.add(person)
    customer = CustomerFactory(owner=person, name="\ufeff=1+1")
    for values in _spread(texts, ("title", "channel", "external_id")):
        DealFactory(owner=person, customer=customer, **values)
    return texts


@pytest.fixture
def corpus_records(rep):
    texts = _stored_corpus()
    customer = CustomerFactory(owner=rep, name="\x08-2")
    for values in _spread(texts, ("note", "external_id")):
        SalesRecordFactory(owner=rep, customer=customer, **values)
    return texts


@pytest.mark.parametrize("text", CORPUS, ids=repr)
def test_neutralise_quotes_every_formula_behind_invisible_characters(text):
    assert exports.neutralise(text) == "'" + text


def _check_both_formats(client, url: str, texts: list[str]) -> None:
    response = client.get(url, {"format": "csv"})
    assert response.status_code == 200
    rows = _csv_cells(response)
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if LIVE.match(cell)]
    assert set(texts) <= _quoted_cells(cells)

    response = client.get(url, {"format": "xlsx"})
    assert response.status_code == 200
    cells = _xlsx_cells(response)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = [c.value for c in cells if isinstance(c.value, str)]
    assert not [v for v in values if v.startswith("=") or LIVE.match(v)]
    # XLSX cannot carry most control characters; they are dropped, the quote stays. XML reads a
    # carriage return as a line feed.
    expected = {exports.xml_text(t).replace("\r\n", "\n").replace("\r", "\n") for t in texts}
    assert expected <= _quoted_cells(values)


def test_no_customer_cell_is_a_formula(rep_client, corpus_customers):
    _check_both_formats(rep_client, "/customers/export/", corpus_customers)


def test_no_deal_cell_is_a_formula(manager_client, corpus_deals):
    _check_both_formats(manager_client, "/deals/export/", corpus_deals + ["\x01=cmd \u200b@x", "\ufeff=1+1"])


def test_no_sales_record_cell_is_a_formula(rep_client, corpus_records):
    _check_both_formats(rep_client, "/sales-records/export/", corpus_records + ["\x08-2"])


def test_the_writers_neutralise_text_no_database_could_hold():
    # NUL, unpaired surrogates and U+FFFE/U+FFFF: the writers must cope even if a source ever has them.
    texts = CORPUS + ["\ud800=1+1", "\ufffe=1+1", "\uffff-1", "a\x00b"]
    columns = [exports.Column("Text", lambda obj: obj.text)]
    rows = [SimpleNamespace(text=text) for text in texts]
    lines = "".join(exports.csv_lines(columns, rows)).removeprefix("\ufeff")
    parsed = list(csv.reader(io.StringIO(lines, newline="")))
    _assert_no_live_csv_cell(parsed, len(texts))
    out = io.BytesIO()
    exports.write_xlsx(columns, rows, out, "texts")
    cells = [c for row in load_workbook(io.BytesIO(out.getvalue())).active.iter_rows() for c in row]
    _assert_no_formula_in_xlsx(cells, len(texts) - 1)
