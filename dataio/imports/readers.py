"""Turn an uploaded file (CSV in any of the usual encodings, or XLSX) into a header and text rows.

A file is read within limits (rows, columns, cell length, file size and how far a workbook unpacks)
checked while it is read, so a damaged or hostile file is refused early with a message naming the
row, rather than after it has filled the worker's memory or outlived its timeout.
"""

import codecs
import contextlib
import csv
import datetime
import gc
import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

ENCODINGS = ("auto", "utf-8", "utf-8-sig", "utf-16", "cp1252")
XLSX_MAGIC = b"PK\x03\x04"
# Old .xls workbooks and password-protected XLSX files are both OLE compound files.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MB = 1024 * 1024
UPLOAD_BYTES = 5 * MB
# openpyxl builds objects from the whole of these parts (styles, the workbook, relationships) in
# one go, at several times their size and without a chance to stop it; real ones are far smaller.
XLSX_PART_BYTES = 2 * MB
# A small part may compress as well as it likes; only a big one is judged by its ratio.
RATIO_GRACE_BYTES = MB
EXCEL_MAX_ROW = 1_048_576
# openpyxl parses a whole row before the CRM sees any of it, and a cell costs it tens of
# microseconds: a row with more cells than this many times the column limit is refused from the
# sheet's bytes, before openpyxl parses them. The slack is for empty cells that only carry a style.
CELLS_PER_COLUMN = 10
# A sheet's row and cell tags, with or without a namespace prefix (some writers use "x:").
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """How much of a file the CRM reads before refusing it."""

    rows: int  # rows with data below the header
    columns: int = 200
    cell_chars: int = 10_000
    file_bytes: int = 256 * MB
    # What an XLSX file may unpack to, judged by the sizes the zip declares and counted again
    # as it is inflated, and how many times smaller than that a big part may be compressed
    # (Apache POI refuses beyond 100 too).
    xlsx_bytes: int = 256 * MB
    xlsx_ratio: int = 100
    # Wall-clock seconds a workbook may take to read; None: as long as it takes.
    seconds: float | None = None


def command_limits() -> Limits:
    """For import_data: large files are what the command is for."""
    return Limits(rows=settings.CRM_IMPORT_MAX_ROWS)


def upload_limits() -> Limits:
    """For the browser: every step must answer well within the worker's 30 s, in bounded memory."""
    return Limits(rows=settings.CRM_IMPORT_MAX_ROWS, file_bytes=UPLOAD_BYTES, xlsx_bytes=25 * MB, seconds=20)


class ReadError(Exception):
    """The file cannot be read as a table; the reason says why and, when known, where."""

    def __init__(self, reason: str, *, row: int = 0, column: str = ""):
        super().__init__(reason)
        self.reason = str(reason)
        self.row = row
        self.column = column

    def __str__(self) -> str:
        if self.row and self.column:
            return _("Row %(row)s, column “%(column)s”: %(reason)s") % {
                "row": self.row,
                "column": self.column,
                "reason": self.reason,
            }
        if self.row:
            return _("Row %(row)s: %(reason)s") % {"row": self.row, "reason": self.reason}
        return self.reason


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


class _Rows:
    """Adds rows to a table, refusing the first one that breaks a limit.

    Each row is joined once so the blank, length and NUL checks run in C over the whole row; only
    a row that fails one is looked at cell by cell.
    """

    def __init__(self, table: Table, limits: Limits):
        self.table = table
        self.limits = limits
        self._check(1, table.headers, "".join(table.headers))

    def add(self, number: int, cells: list[str]) -> None:
        """Add a row unless it is blank."""
        text = "".join(cells)
        if not text.strip():
            return
        self._check(number, cells, text)
        if len(self.table.rows) >= self.limits.rows:
            raise ReadError(
                _("The file has more than %(max)s rows; split it into smaller files.")
                % {"max": f"{self.limits.rows:,}"},
                row=number,
            )
        self.table.rows.append((number, cells))

    def _check(self, number: int, cells: list[str], text: str) -> None:
        limits = self.limits
        if len(cells) > limits.columns and any(cells[limits.columns :]):
            if number == 1:
                raise ReadError(
                    _("The file has %(n)s columns; the CRM reads at most %(max)s.")
                    % {"n": f"{len(cells):,}", "max": limits.columns}
                )
            raise _too_wide(number, limits)
        if len(text) > limits.cell_chars and max(map(len, cells)) > limits.cell_chars:
            index = next(i for i, cell in enumerate(cells) if len(cell) > limits.cell_chars)
            raise ReadError(
                _("The cell is longer than %(max)s characters.") % {"max": f"{limits.cell_chars:,}"},
                row=number,
                column=self._column(number, index),
            )
        # PostgreSQL cannot store a NUL, and no real text holds one: it means another encoding.
        if "\x00" in text:
            index = next(i for i, cell in enumerate(cells) if "\x00" in cell)
            raise ReadError(
                _(
                    "The cell contains a NUL character, which text never holds: the file is in "
                    "another encoding or is not a CSV file."
                ),
                row=number,
                column=self._column(number, index),
            )

    def _column(self, number: int, index: int) -> str:
        headers = self.table.headers
        if number > 1 and index < len(headers) and headers[index]:
            return headers[index]
        return str(index + 1)


@contextlib.contextmanager
def _collector_paused():
    """Build a table without the cycle collector walking it again and again as it grows.

    A table is up to hundreds of thousands of small lists that hold no cycles and live as long as
    the table; with the collector running, reading 200,000 rows took three times as long.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _too_wide(number: int, limits: Limits) -> ReadError:
    return ReadError(
        _("The row has values beyond column %(max)s; the CRM reads at most %(max)s columns.")
        % {"max": limits.columns},
        row=number,
    )


def _check_size(data: bytes, limits: Limits) -> None:
    if len(data) > limits.file_bytes:
        raise ReadError(_("The file is larger than %(max)s MB.") % {"max": limits.file_bytes // MB})


# CSV -----------------------------------------------------------------------------------------


def decode(data: bytes, encoding: str = "auto", delimiter: str = "") -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with."""
    if encoding not in ("auto", ""):
        return _decode(data, encoding, encoding, delimiter), encoding
    if data.startswith(codecs.BOM_UTF8):
        # The mark says UTF-8: bytes that are not are damage, not another encoding.
        return _decode(data[len(codecs.BOM_UTF8) :], "utf-8", "UTF-8", delimiter), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16", "UTF-16", delimiter), "utf-16"
    if _looks_like_utf16(data):
        # Without a BOM the byte order shows in where the zero bytes of ASCII text fall.
        enc = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        return _decode(data, enc, "UTF-16", delimiter), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # cp1252 leaves five bytes undefined; a file with them is something else altogether.
    return _decode(data, "cp1252", "Windows-1252", delimiter), "cp1252"


def _decode(data: bytes, codec: str, label: str, delimiter: str) -> str:
    try:
        return data.decode(codec)
    except LookupError as exc:
        raise ReadError(_("The file is not valid %(encoding)s.") % {"encoding": label}) from exc
    except UnicodeDecodeError as exc:
        # The text up to the bad bytes, which read as U+FFFD: the last cell parsed is the bad one.
        row, column = _where(data[: exc.end].decode(codec, errors="replace"), delimiter)
        raise ReadError(
            _("The text is not valid %(encoding)s: the file is in another encoding or is damaged.")
            % {"encoding": label},
            row=row,
            column=column,
        ) from exc


def _where(text: str, delimiter: str) -> tuple[int, str]:
    """The row number and column name of the last cell of ``text``, the start of a CSV file."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _guess(text))
    header: list[str] = []
    last: list[str] = []
    number = 0
    try:
        for last in reader:
            number += 1
            header = header or last
    except csv.Error:
        return text.count("\n") + 1, ""
    index = max(len(last) - 1, 0)
    if number > 1 and index < len(header) and header[index].strip():
        return number, header[index].strip()
    return max(number, 1), str(index + 1)


def _looks_like_utf16(data: bytes) -> bool:
    sample = data[:200]
    return len(sample) >= 4 and sample.count(b"\x00") >= len(sample) // 3


def _guess(text: str) -> str:
    first_line = text[: text.find("\n")] if "\n" in text else text
    return max([",", ";", "\t"], key=first_line.count)


def read_csv(
    data: bytes, *, encoding: str = "auto", delimiter: str = "", limits: Limits | None = None
) -> Table:
    limits = limits or command_limits()
    _check_size(data, limits)
    text, used = decode(data, encoding, delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _guess(text))
    number = 0
    try:
        headers = [h.strip() for h in next(reader)]
        number = 1
        table = Table(headers=headers, encoding=used)
        rows = _Rows(table, limits)
        # Numbered by record, as a spreadsheet shows them, so a cell with a line break inside
        # quotes does not shift the numbers of the rows after it.
        with _collector_paused():
            for number, cells in enumerate(reader, start=2):
                rows.add(number, cells)
    except StopIteration as exc:
        raise ReadError(_("The file is empty.")) from exc
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise ReadError(
                _("A cell is longer than %(max)s characters (a quote left open?).")
                % {"max": f"{limits.cell_chars:,}"},
                row=number + 1,
            ) from exc
        raise ReadError(
            _("Line %(line)s is not valid CSV: %(error)s") % {"line": reader.line_num, "error": exc}
        ) from exc
    _check_headers(table)
    return table


# XLSX ----------------------------------------------------------------------------------------


class _MeteredArchive(zipfile.ZipFile):
    """A workbook's zip that counts what its parts inflate to, and stops reading at a deadline.

    openpyxl reads every part through ``open`` (``read`` included), so this is where a part that
    inflates past what the limits allow is stopped, whatever sizes the zip declares.
    """

    def __init__(self, data: bytes, limits: Limits):
        super().__init__(io.BytesIO(data))
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds if limits.seconds is not None else None

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        stream = super().open(name, mode, pwd, force_zip64=force_zip64)
        return _MeteredPart(stream, self) if mode == "r" else stream

    def check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise ReadError(
                _(
                    "Reading the workbook took more than %(seconds)s seconds; save the sheet as "
                    "CSV or import it with the import_data command."
                )
                % {"seconds": self.limits.seconds}
            )


class _MeteredPart:
    def __init__(self, stream, archive: _MeteredArchive):
        self.stream = stream
        self.archive = archive
        self.name = stream.name
        self.inflated = 0
        self.cells = _CellCounter(archive.limits)

    def read(self, size: int | None = -1) -> bytes:
        if size is not None and size >= 0:
            # Read piece by piece: a sheet or the shared strings, parsed as they stream.
            chunk = self._read(size)
            self.cells.feed(chunk)
            return chunk
        # A whole part at once is what openpyxl turns into objects in one go.
        chunks = []
        while chunk := self._read(_READ_CHUNK):
            chunks.append(chunk)
            if self.inflated > XLSX_PART_BYTES:
                raise ReadError(
                    _("The workbook's part %(part)s is larger than %(max)s MB.")
                    % {"part": self.name, "max": XLSX_PART_BYTES // MB}
                )
        return b"".join(chunks)

    def _read(self, size: int) -> bytes:
        self.archive.check_deadline()
        chunk = self.stream.read(size)
        self.inflated += len(chunk)
        if self.inflated > self.archive.limits.xlsx_bytes:
            raise _too_big(self.archive.limits)
        return chunk

    def close(self) -> None:
        self.stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class _CellCounter:
    """Counts the cells of each row in a sheet's bytes as they inflate, before they are parsed."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.most = limits.columns * CELLS_PER_COLUMN
        self.in_row = 0
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        data = self.tail + chunk
        # A tag cut off at the end of the chunk is counted with the next chunk.
        cut = data.rfind(b"<")
        if cut == -1 or len(data) - cut > 64:
            cut = len(data)
        self.tail = data[cut:]
        pieces = _ROW_TAG.split(data[:cut])
        # The first piece goes on with the row being read; each other piece starts a row.
        self.in_row += len(_CELL_TAG.findall(pieces[0]))
        for piece in pieces[1:]:
            self._check()
            self.in_row = len(_CELL_TAG.findall(piece))
        self._check()

    def _check(self) -> None:
        if self.in_row > self.most:
            raise ReadError(
                _("A row of the sheet has more than %(n)s cells; the CRM reads at most %(max)s columns.")
                % {"n": f"{self.most:,}", "max": self.limits.columns}
            )


def _too_big(limits: Limits) -> ReadError:
    return ReadError(
        _("The workbook unpacks to more than %(max)s MB; save the sheet as CSV or split it.")
        % {"max": limits.xlsx_bytes // MB}
    )


def _open_archive(data: bytes, limits: Limits) -> _MeteredArchive:
    """The workbook's zip, refused before anything is inflated if its declared sizes are absurd."""
    try:
        archive = _MeteredArchive(data, limits)
    except Exception as exc:  # zipfile raises several kinds for a damaged archive
        raise ReadError(_("The file is not a readable XLSX workbook.")) from exc
    parts = archive.infolist()
    if sum(part.file_size for part in parts) > limits.xlsx_bytes:
        archive.close()
        raise _too_big(limits)
    for part in parts:
        if part.file_size > RATIO_GRACE_BYTES and part.file_size > limits.xlsx_ratio * max(
            part.compress_size, 1
        ):
            archive.close()
            raise ReadError(
                _("The workbook unpacks to more than %(ratio)s times its size, which no real workbook does.")
                % {"ratio": limits.xlsx_ratio}
            )
    return archive


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


def read_xlsx(data: bytes, *, limits: Limits | None = None) -> Table:
    from openpyxl.reader.excel import ExcelReader  # only XLSX uploads pay for loading it

    limits = limits or command_limits()
    _check_size(data, limits)
    archive = _open_archive(data, limits)
    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        # openpyxl opens the zip itself; it reads through the metered one instead.
        reader.archive.close()
        reader.archive = archive
        reader.read()
    except ReadError:
        archive.close()
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        archive.close()
        raise ReadError(_("The file is not a readable XLSX workbook.")) from exc
    book = reader.wb
    try:
        if not book.worksheets:
            raise ReadError(_("The workbook has no sheet."))
        sheet = book.worksheets[0]
        # The sheet's own claim of its size would make openpyxl pad every row out to it.
        sheet.reset_dimensions()
        table = _read_sheet(sheet.iter_rows(values_only=True), archive, limits)
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(_("The file is not a readable XLSX workbook.")) from exc
    finally:
        book.close()
    _check_headers(table)
    return table


def _read_sheet(values_by_row, archive: _MeteredArchive, limits: Limits) -> Table:
    first = next(values_by_row, None)
    if first is None:
        raise ReadError(_("The file is empty."))
    headers = [_cell_text(v).strip() for v in first]
    while headers and not headers[-1]:
        headers.pop()
    table = Table(headers=headers, encoding="xlsx")
    rows = _Rows(table, limits)
    width = len(headers)
    with _collector_paused():
        _add_sheet_rows(values_by_row, rows, width, archive, limits)
    return table


def _add_sheet_rows(values_by_row, rows: _Rows, width: int, archive: _MeteredArchive, limits: Limits) -> None:
    for number, values in enumerate(values_by_row, start=2):
        # openpyxl makes up an empty row for every number a sheet skips, reading nothing from the
        # zip: a row numbered in the billions would keep it busy for hours.
        if number > EXCEL_MAX_ROW:
            raise ReadError(_("The file is not a readable XLSX workbook."), row=number)
        if number % 4096 == 0:
            archive.check_deadline()
        if not values:
            continue
        beyond = len(values) - limits.columns
        if beyond > 0 and values[limits.columns :].count(None) < beyond:
            raise _too_wide(number, limits)
        rows.add(number, [_cell_text(v) for v in values[:width]])


def _check_headers(table: Table) -> None:
    if not any(table.headers):
        raise ReadError(_("The first row must name the columns."))
    seen = set()
    for header in table.headers:
        if header and header in seen:
            raise ReadError(_("Two columns are both called “%(name)s”.") % {"name": header})
        seen.add(header)


def read_table(
    data: bytes,
    filename: str = "",
    *,
    encoding: str = "auto",
    delimiter: str = "",
    limits: Limits | None = None,
) -> Table:
    """Read CSV or XLSX, told apart by content rather than by the name the user gave the file.

    ``limits`` default to the command line's; the browser passes ``upload_limits()``.
    """
    limits = limits or command_limits()
    if data.startswith(OLE_MAGIC):
        raise ReadError(
            _(
                "This is an old Excel (.xls) file or a password-protected workbook: save it as XLSX "
                "or CSV, without a password."
            )
        )
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return read_xlsx(data, limits=limits)
    return read_csv(data, encoding=encoding, delimiter=delimiter, limits=limits)
