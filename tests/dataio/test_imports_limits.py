"""The limits a file is read within: rows set by the environment, the browser's tighter ones, and the
checks made while a workbook streams."""

import io
import json
import re
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from dataio.imports import Limits, ReadError, read_table
from dataio.imports.readers import _MeteredArchive
from tests.dataio.test_imports_malformed import MAPPING, SHEET_PATH


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(rows: int) -> bytes:
    return b"Deal,Company\r\n" + b"".join(b"D%d,C\r\n" % i for i in range(rows))


@pytest.mark.parametrize("name", ["deals.csv", "deals.xlsx"])
def test_the_row_limit_is_the_environments(settings, name):
    settings.CRM_IMPORT_MAX_ROWS = 3
    data = (
        _csv(3)
        if name.endswith(".csv")
        else _xlsx([["Deal", "Company"]] + [[f"D{i}", "C"] for i in range(3)])
    )
    assert len(read_table(data, name).rows) == 3
    more = (
        _csv(4)
        if name.endswith(".csv")
        else _xlsx([["Deal", "Company"]] + [[f"D{i}", "C"] for i in range(4)])
    )
    with pytest.raises(ReadError, match="more than 3 rows") as refused:
        read_table(more, name)
    assert refused.value.row == 5


def test_blank_rows_do_not_count_towards_the_row_limit(settings):
    settings.CRM_IMPORT_MAX_ROWS = 2
    table = read_table(b"Deal,Company\r\nA,B\r\n,\r\n \t, \r\n\r\nC,D\r\n", "deals.csv")
    assert [number for number, _cells in table.rows] == [2, 6]


def test_a_sheet_claiming_the_whole_grid_is_read_as_the_rows_it_has():
    data = _xlsx([["Deal", "Company"], ["A", "B"]])
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == SHEET_PATH:
                content = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', content)
                assert b"XFD1048576" in content
            target.writestr(info, content)
    table = read_table(out.getvalue(), "deals.xlsx")
    assert table.headers == ["Deal", "Company"]
    assert table.rows == [(2, ["A", "B"])]


def test_reading_a_workbook_stops_at_the_deadline():
    with pytest.raises(ReadError, match="took more than 0 seconds"):
        read_table(_xlsx([["Deal"], ["A"]]), "deals.xlsx", limits=Limits(rows=10, seconds=0))


def test_a_part_that_inflates_past_the_limit_is_stopped_as_it_streams():
    # The declared sizes are checked first; this is the count that does not trust them.
    archive = _MeteredArchive(
        _xlsx([["Deal"], *[[f"deal {i}"] for i in range(200)]]), Limits(rows=10, xlsx_bytes=1000)
    )
    with archive.open(SHEET_PATH) as part, pytest.raises(ReadError, match="unpacks to more than"):
        while part.read(100):
            pass


def test_a_row_of_thousands_of_cells_is_refused_before_it_is_parsed():
    data = _xlsx([["Deal", "Company"], ["A", "B"], ["C", *range(3000)]])
    with pytest.raises(ReadError, match="more than 2,000 cells"):
        read_table(data, "deals.xlsx")


def test_a_value_beyond_the_column_limit_is_refused_but_empty_styled_cells_are_not():
    wide = _xlsx([["Deal", "Company"], ["A", "B", *[None] * 250, "x"]])
    with pytest.raises(ReadError, match="beyond column 200") as refused:
        read_table(wide, "deals.xlsx")
    assert refused.value.row == 2
    book = openpyxl.Workbook()
    book.active.append(["Deal", "Company"])
    book.active.append(["A", "B"])
    book.active.cell(row=2, column=300).number_format = "0.00"
    out = io.BytesIO()
    book.save(out)
    assert read_table(out.getvalue(), "deals.xlsx").rows == [(2, ["A", "B"])]


def test_a_decoding_error_inside_a_cell_with_line_breaks_names_its_record():
    data = b'\xef\xbb\xbfDeal,Notes\r\nA,"two\r\nlines \xff"\r\nB,x\r\n'
    with pytest.raises(ReadError) as refused:
        read_table(data, "deals.csv")
    assert (refused.value.row, refused.value.column) == (2, "Notes")
    assert str(refused.value).startswith("Row 2, column “Notes”: The text is not valid UTF-8")


def test_the_command_refuses_a_file_over_its_size_limit_before_reading_it(tmp_path, monkeypatch, db):
    monkeypatch.setattr(
        "dataio.management.commands.import_data.command_limits", lambda: Limits(rows=10, file_bytes=10)
    )
    path = tmp_path / "deals.csv"
    path.write_bytes(_csv(5))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING))
    with pytest.raises(CommandError, match="larger than 0 MB"):
        call_command("import_data", "deals", str(path), "--mapping", str(mapping))
