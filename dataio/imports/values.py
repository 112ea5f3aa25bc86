"""Parsers for the text in an imported cell: money, numbers, dates, times and booleans.

Each parser takes the stripped cell text and returns a Python value or raises ``ValueError`` whose
message is the reason shown to the user beside the row and column.
"""

import datetime
import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

# Money is written "1234.56" or with thousands separators "1,234.56"; a currency sign in front is
# tolerated because spreadsheets add one when a column is formatted as currency.
_MONEY = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_CURRENCY_SIGNS = "$€£¥"
MONEY_LIMIT = Decimal("1000000000000")  # max_digits=14 with 2 decimal places

BOOLEAN_STYLES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # style: (texts meaning true, texts meaning false), compared case-insensitively.
    "1/empty": (frozenset({"1"}), frozenset({"", "0"})),
    "true/false": (frozenset({"true"}), frozenset({"false", ""})),
    "yes/no": (frozenset({"yes", "y"}), frozenset({"no", "n", ""})),
}
BOOLEAN_STYLE_LABELS = {"1/empty": "1 / empty", "true/false": "TRUE / FALSE", "yes/no": "yes / no"}
DEFAULT_DATE_FORMATS = ("%Y-%m-%d",)


def parse_money(text: str) -> Decimal:
    """A non-negative amount with at most two decimals, never a float."""
    value = parse_decimal(text.lstrip(_CURRENCY_SIGNS).strip(), thousands=True)
    if value < 0:
        raise ValueError(_("An amount cannot be negative."))
    if value >= MONEY_LIMIT:
        raise ValueError(_("The amount is too large."))
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(_("An amount has at most two decimals: “%(text)s”.") % {"text": text})
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_decimal(text: str, *, thousands: bool = True) -> Decimal:
    if not _MONEY.match(text) or (not thousands and "," in text):
        raise ValueError(_("“%(text)s” is not a number (write 1234.56 or 1,234.56).") % {"text": text})
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern already rules this out
        raise ValueError(_("“%(text)s” is not a number.") % {"text": text}) from exc


def parse_percent(text: str) -> Decimal:
    value = parse_decimal(text.rstrip("%").strip())
    if not Decimal("0") <= value <= Decimal("100"):
        raise ValueError(_("A probability is between 0 and 100."))
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_ratio(text: str) -> Decimal:
    value = parse_decimal(text)
    if value < 0:
        raise ValueError(_("A ratio cannot be negative."))
    if value != value.quantize(Decimal("0.0001")):
        raise ValueError(_("A ratio has at most four decimals."))
    return value


def parse_int(text: str) -> int:
    if not re.fullmatch(r"\d+", text.replace(",", "")):
        raise ValueError(_("“%(text)s” is not a whole number.") % {"text": text})
    return int(text.replace(",", ""))


def parse_bool(text: str, style: str) -> bool:
    true, false = BOOLEAN_STYLES[style]
    folded = text.strip().lower()
    if folded in true:
        return True
    if folded in false:
        return False
    raise ValueError(
        _("“%(text)s” is not a yes/no value (this file writes them as %(style)s).")
        % {"text": text, "style": BOOLEAN_STYLE_LABELS[style]}
    )


def _strptime(text: str, formats: tuple[str, ...] | list[str]) -> datetime.datetime:
    return _strptime_cached(text, tuple(formats))


# A large file repeats the same few thousand dates; strptime is the slow part of reading them.
@functools.lru_cache(maxsize=65536)
def _strptime_cached(text: str, formats: tuple[str, ...]) -> datetime.datetime:
    for fmt in formats:
        try:
            return datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
    # ISO dates are unambiguous, so they are accepted whatever the file's own format is; this is
    # also how XLSX date cells reach us.
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(
        _("“%(text)s” is not a date in the format %(formats)s.")
        % {"text": text, "formats": " / ".join(formats)}
    )


def parse_date(text: str, formats: tuple[str, ...] | list[str] = DEFAULT_DATE_FORMATS) -> datetime.date:
    """The date as written in the file; a time or zone after it is ignored."""
    return _strptime(text, formats).date()


def parse_datetime(
    text: str, formats: tuple[str, ...] | list[str] = DEFAULT_DATE_FORMATS
) -> datetime.datetime:
    """An aware datetime; a value without a zone is read in the current time zone."""
    value = _strptime(text, formats)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@functools.lru_cache(maxsize=65536)
def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight of ``day`` in the current zone, so ``timezone.localdate`` gives ``day`` back."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
            ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
            ("oct", "october"), ("nov", "november"), ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_PERIODS = (
    ("month", re.compile(r"^(?P<m>[a-z]+)[-\s/.]*(?P<y>\d{2}|\d{4})$")),  # Apr-18, April 2018
    ("month", re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})$")),  # 2018-04
    ("month", re.compile(r"^(?P<m>\d{1,2})[-/.](?P<y>\d{4})$")),  # 04/2018
    ("quarter", re.compile(r"^(?P<y>\d{4})\s*[-/]?\s*q(?P<q>[1-4])$")),  # 2018-Q2, 2018Q2
    ("quarter", re.compile(r"^q(?P<q>[1-4])\s*[-/]?\s*(?P<y>\d{4})$")),  # Q2 2018
    ("year", re.compile(r"^(?P<y>\d{4})$")),  # 2018
)


def _year(text: str) -> int:
    year = int(text)
    return 2000 + year if len(text) == 2 else year


def parse_period(text: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a month, quarter or year written as text.

    Months: ``Apr-18``, ``April 2018``, ``2018-04``, ``04/2018``; quarters: ``2018-Q2``, ``Q2 2018``;
    years: ``2018``. A two-digit year is in this century.
    """
    folded = text.strip().casefold()
    for kind, pattern in _PERIODS:
        match = pattern.match(folded)
        if not match:
            continue
        year = _year(match["y"])
        if kind == "year":
            first, months = 1, 12
        elif kind == "quarter":
            first, months = int(match["q"]) * 3 - 2, 3
        else:
            month = match["m"]
            first = int(month) if month.isdigit() else MONTH_NAMES.get(month, 0)
            months = 1
        if not (1 <= first <= 12 and 1900 <= year <= 2200):
            break
        start = datetime.date(year, first, 1)
        index = year * 12 + first - 1 + months
        end = datetime.date(index // 12, index % 12 + 1, 1) - datetime.timedelta(days=1)
        return start, end
    raise ValueError(
        _("“%(text)s” is not a period such as Apr-18, 2018-04, 04/2018, 2018-Q2 or 2018.") % {"text": text}
    )
