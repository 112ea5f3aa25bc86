"""Turn an uploaded file (CSV in any of the usual encodings, or XLSX) into a header and text rows."""

import codecs
import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

ENCODINGS = ("auto", "utf-8", "utf-8-sig", "utf-16", "cp1252")
XLSX_MAGIC = b"PK\x03\x04"


class ReadError(Exception):
    """The file cannot be read as a table at all; the message says why."""


@dataclass
class Table:
    headers: list[str]
    # (row number as a spreadsheet shows it, cells as text); the header is row 1.
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    encoding: str = ""

    def column_values(self, header: str, limit: int = 50) -> list[str]:
        """Distinct non-empty values of a column in file order, for translating them."""
        index = self.headers.index(header)
        seen: dict[str, None] = {}
        for _number, cells in self.rows:
            value = cells[index].strip() if index < len(cells) else ""
            if value and value not in seen:
                seen[value] = None
                if len(seen) >= limit:
                    break
        return list(seen)


def decode(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with."""
    if encoding not in ("auto", ""):
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise ReadError(_("The file is not valid %(encoding)s.") % {"encoding": encoding}) from exc
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    if _looks_like_utf16(data):
        # Without a BOM the byte order shows in where the zero bytes of ASCII text fall.
        enc = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        return data.decode(enc), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # cp1252 leaves five bytes undefined; a file with them is something else altogether.
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ReadError(_("The file's encoding is not UTF-8, UTF-16 or Windows-1252.")) from exc


def _looks_like_utf16(data: bytes) -> bool:
    sample = data[:200]
    return len(sample) >= 4 and sample.count(b"\x00") >= len(sample) // 3


def read_csv(data: bytes, *, encoding: str = "auto", delimiter: str = "") -> Table:
    text, used = decode(data, encoding)
    if not delimiter:
        first_line = text.split("\n", 1)[0]
        delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise ReadError(_("The file is empty.")) from exc
    except csv.Error as exc:
        raise ReadError(_("The file is not a readable CSV file: %(error)s") % {"error": exc}) from exc
    table = Table(headers=headers, encoding=used)
    try:
        # Numbered by record, as a spreadsheet shows them, so a cell with a line break inside
        # quotes does not shift the numbers of the rows after it.
        for number, cells in enumerate(reader, start=2):
            if any(c.strip() for c in cells):
                table.rows.append((number, cells))
    except csv.Error as exc:
        raise ReadError(
            _("Line %(line)s is not valid CSV: %(error)s") % {"line": reader.line_num, "error": exc}
        ) from exc
    _check_headers(table)
    return table


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time.min else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # str() of a float is its shortest round-trip form, so 1234.56 stays "1234.56".
        text = str(Decimal(str(value)))
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def read_xlsx(data: bytes) -> Table:
    import openpyxl  # only XLSX uploads pay for loading it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ReadError(_("The file is not a readable XLSX workbook.")) from exc
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        try:
            headers = [_cell_text(v).strip() for v in next(rows)]
        except StopIteration as exc:
            raise ReadError(_("The file is empty.")) from exc
        while headers and not headers[-1]:
            headers.pop()
        table = Table(headers=headers, encoding="xlsx")
        for number, values in enumerate(rows, start=2):
            cells = [_cell_text(v) for v in values[: len(headers)]]
            if any(c.strip() for c in cells):
                table.rows.append((number, cells))
    finally:
        book.close()
    _check_headers(table)
    return table


def _check_headers(table: Table) -> None:
    if not any(table.headers):
        raise ReadError(_("The first row must name the columns."))
    seen = set()
    for header in table.headers:
        if header and header in seen:
            raise ReadError(_("Two columns are both called “%(name)s”.") % {"name": header})
        seen.add(header)


def read_table(data: bytes, filename: str = "", *, encoding: str = "auto", delimiter: str = "") -> Table:
    """Read CSV or XLSX, told apart by content rather than by the name the user gave the file."""
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return read_xlsx(data)
    return read_csv(data, encoding=encoding, delimiter=delimiter)
