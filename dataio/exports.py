"""CSV and XLSX exports of the customer, deal and sales-record lists.

Text a spreadsheet would run as a formula is neutralised; numbers stay numbers. CSV is streamed row
by row, so a large export never sits in memory; XLSX is written row by row to a temporary file.
"""

import csv
import io
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMATS = ("csv", "xlsx")
# A cell starting with one of these (after any blanks) is a formula to Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@")
# A leading tab or carriage return is also a known way to smuggle one past naive checks.
RISKY_FIRST = ("\t", "\r")
# What a spreadsheet may skip, drop or never show in front of a formula: control characters (some
# are also removed on the way into XLSX), zero-width characters and the byte-order mark (format
# characters), and every kind of blank.
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}
# XML 1.0 cannot carry these at all: openpyxl refuses most C0 controls and an unpaired surrogate or
# U+FFFE/U+FFFF would make the file unreadable.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
CHUNK = 2000


def neutralise(text: str) -> str:
    """``text`` with a leading single quote if a spreadsheet would otherwise evaluate it."""
    if text.startswith(RISKY_FIRST) or text.startswith(FORMULA_STARTS, _visible_start(text)):
        return "'" + text
    return text


def _visible_start(text: str) -> int:
    for i, char in enumerate(text):
        if not (char.isspace() or unicodedata.category(char) in INVISIBLE_CATEGORIES):
            return i
    return len(text)


def xml_text(text: str) -> str:
    """``text`` without the characters an XLSX file cannot hold."""
    return NOT_XML.sub("", text)


class Kind:
    TEXT = "text"
    MONEY = "money"
    NUMBER = "number"
    DATE = "date"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    kind: str = Kind.TEXT


def person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _text_value(value: Any) -> str:
    if value is None:
        return ""
    return neutralise(str(value))


def csv_cell(column: Column, obj) -> str:
    value = column.value(obj)
    if value is None:
        return ""
    if column.kind in (Kind.MONEY, Kind.NUMBER):
        return str(value)
    if column.kind == Kind.DATE:
        return value.isoformat()
    return _text_value(value)


def xlsx_cell(sheet, column: Column, obj) -> WriteOnlyCell:
    value = column.value(obj)
    if value is None:
        return WriteOnlyCell(sheet, value=None)
    if column.kind == Kind.MONEY:
        cell = WriteOnlyCell(sheet, value=Decimal(value))
        cell.number_format = MONEY_FORMAT
        return cell
    if column.kind == Kind.NUMBER:
        return WriteOnlyCell(sheet, value=Decimal(value))
    if column.kind == Kind.DATE:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    # Dropped before neutralising: text that only starts with a formula once they are gone must be
    # quoted too. They carry no meaning in a list.
    return WriteOnlyCell(sheet, value=neutralise(xml_text(str(value))))


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: list[Column], rows: Iterable) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The byte-order mark makes Excel read the file as UTF-8 (names are often not ASCII).
    yield "\ufeff" + writer.writerow([str(c.header) for c in columns])
    for obj in rows:
        yield writer.writerow([csv_cell(c, obj) for c in columns])


def write_xlsx(columns: list[Column], rows: Iterable, out, title: str) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([str(c.header) for c in columns])
    for obj in rows:
        sheet.append([xlsx_cell(sheet, c, obj) for c in columns])
    workbook.save(out)


def _rows(qs: QuerySet, done: Callable[[int], None] | None = None) -> Iterator:
    """The rows of ``qs``; once they have all been read (or the download was cut short), ``done``
    hears how many were written."""
    count = 0
    try:
        for obj in qs.iterator(chunk_size=CHUNK):
            yield obj
            count += 1
    finally:
        if done is not None:
            done(count)


def export_response(
    columns: list[Column], qs: QuerySet, name: str, fmt: str, *, done: Callable[[int], None] | None = None
):
    """A download of ``qs`` in ``fmt`` (``csv`` unless ``xlsx``), named after ``name`` and today.

    ``done`` is called with the number of rows written, when the last one has been."""
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        # FileResponse closes the file once it has been sent, which deletes it.
        out = tempfile.TemporaryFile()  # noqa: SIM115
        write_xlsx(columns, _rows(qs, done), out, str(name))
        out.seek(0)
        return FileResponse(
            out,
            as_attachment=True,
            filename=f"{name}-{stamp}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response = StreamingHttpResponse(
        csv_lines(columns, _rows(qs, done)), content_type="text/csv; charset=utf-8"
    )
    # Like FileResponse above: a translated (non-ASCII) name needs the RFC 6266 filename* form.
    response["Content-Disposition"] = content_disposition_header(True, f"{name}-{stamp}.csv")
    return response


def export_file(columns: list[Column], qs: QuerySet, name: str, fmt: str, progress=None) -> tuple[str, bytes]:
    """The file name and bytes of the export of ``qs`` (for the worker); ``progress(rows)`` as it goes."""
    stamp = timezone.localdate().isoformat()

    def counted() -> Iterator:
        for n, obj in enumerate(_rows(qs)):
            if progress is not None and n % CHUNK == 0:
                progress(n)
            yield obj

    if fmt == "xlsx":
        out = io.BytesIO()
        write_xlsx(columns, counted(), out, str(name))
        return f"{name}-{stamp}.xlsx", out.getvalue()
    return f"{name}-{stamp}.csv", "".join(csv_lines(columns, counted())).encode("utf-8")


CUSTOMER_COLUMNS = [
    Column(_("ID"), lambda c: c.pk, Kind.NUMBER),
    Column(_("Name"), lambda c: c.name),
    Column(_("Kind"), lambda c: c.get_kind_display()),
    Column(_("Industry"), lambda c: c.industry),
    Column(_("Region"), lambda c: c.region),
    Column(_("Channel"), lambda c: c.channel),
    Column(_("Owner"), lambda c: person(c.owner)),
    Column(_("Email"), lambda c: c.email),
    Column(_("Phone"), lambda c: c.phone),
    Column(_("Website"), lambda c: c.website),
    Column(_("Address"), lambda c: c.address),
    Column(_("Need"), lambda c: c.need, Kind.MONEY),
    Column(_("Notes"), lambda c: c.notes),
    Column(_("External ID"), lambda c: c.external_id),
]
CUSTOMER_RELATED = ("owner",)

DEAL_COLUMNS = [
    Column(_("ID"), lambda d: d.pk, Kind.NUMBER),
    Column(_("Title"), lambda d: d.title),
    Column(_("Customer"), lambda d: d.customer.name),
    Column(_("Owner"), lambda d: person(d.owner)),
    Column(_("Stage"), lambda d: d.stage.name),
    Column(_("Status"), lambda d: d.get_status_display()),
    Column(_("Amount"), lambda d: d.amount, Kind.MONEY),
    Column(_("Probability (%)"), lambda d: d.probability, Kind.NUMBER),
    Column(_("Weighted amount"), lambda d: d.weighted_amount, Kind.MONEY),
    Column(_("Opened on"), lambda d: d.opened_on, Kind.DATE),
    Column(_("Expected close"), lambda d: d.expected_close, Kind.DATE),
    Column(_("Closed on"), lambda d: d.closed_on, Kind.DATE),
    Column(_("Channel"), lambda d: d.channel),
    Column(_("Product"), lambda d: d.product.name if d.product_id else None),
    Column(_("Contact"), lambda d: d.contact.name if d.contact_id else None),
    Column(_("Lost reason"), lambda d: d.lost_reason.name if d.lost_reason_id else None),
    Column(_("Lost note"), lambda d: d.lost_note),
    Column(_("External ID"), lambda d: d.external_id),
]
DEAL_RELATED = ("customer", "owner", "stage", "product", "contact", "lost_reason")

SALES_RECORD_COLUMNS = [
    Column(_("ID"), lambda r: r.pk, Kind.NUMBER),
    Column(_("Sold on"), lambda r: r.sold_on, Kind.DATE),
    Column(_("Customer"), lambda r: r.customer.name),
    Column(_("Owner"), lambda r: person(r.owner)),
    Column(_("Amount"), lambda r: r.amount, Kind.MONEY),
    Column(_("Product"), lambda r: r.product.name if r.product_id else None),
    Column(_("Product category"), lambda r: r.product.category if r.product_id else None),
    Column(_("Deal ID"), lambda r: r.deal_id, Kind.NUMBER),
    Column(_("Note"), lambda r: r.note),
    Column(_("External ID"), lambda r: r.external_id),
]
SALES_RECORD_RELATED = ("customer", "owner", "product")


@dataclass(frozen=True)
class ListExport:
    model: type
    filterset: type
    columns: list[Column]
    related: tuple[str, ...]
    name: Any  # the file name's stem, translated


def _lists() -> dict[str, ListExport]:
    from customers.models import Customer
    from sales.filters.customers import CustomerFilterSet
    from sales.filters.deals import DealFilterSet
    from sales.filters.records import SalesRecordFilterSet
    from sales.models import Deal, SalesRecord

    return {
        "customers": ListExport(
            Customer, CustomerFilterSet, CUSTOMER_COLUMNS, CUSTOMER_RELATED, _("customers")
        ),
        "deals": ListExport(Deal, DealFilterSet, DEAL_COLUMNS, DEAL_RELATED, _("deals")),
        "sales-records": ListExport(
            SalesRecord, SalesRecordFilterSet, SALES_RECORD_COLUMNS, SALES_RECORD_RELATED, _("sales-records")
        ),
    }


class _Lists(dict):
    """The exportable lists by kind, built on first use (the filter sets import the models)."""

    def __missing__(self, kind: str) -> ListExport:
        self.update(_lists())
        if kind not in self:
            raise KeyError(kind)
        return self[kind]


LISTS = _Lists()


def list_queryset(kind: str, user, params) -> QuerySet:
    """The list ``kind`` as ``user`` sees it with the filters in ``params`` (a QueryDict)."""
    spec = LISTS[kind]
    return spec.filterset(params, spec.model.objects.visible_to(user)).qs.select_related(*spec.related)
