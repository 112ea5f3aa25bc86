"""The one way the CRM writes an amount, a date and a moment, in each language.

Registered as template built-ins (``settings.TEMPLATES``), so every template writes
``{{ deal.amount|money }}``, ``{{ deal.expected_close|day }}``, ``{{ activity.due_at|moment }}``
and ``{{ activity.due_at|relative }}`` without loading anything. The date styles themselves live
in the format files (``crm/formats/<language>/formats.py``), which admin reads too.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext

register = template.Library()

# Currencies written with a symbol; any other ISO code is written before the figure ("CHF 12.50").
SYMBOLS = {"USD": "$", "CNY": "¥", "RMB": "¥", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}
CENT = Decimal("0.01")


def format_money(value, currency: str | None = None) -> str:
    """``$1,234.50``, ``-$80.00``: the currency, grouped thousands and always the cents."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    code = currency or settings.CRM_CURRENCY
    figure = formats.number_format(abs(amount), decimal_pos=2, use_l10n=True, force_grouping=True)
    symbol = SYMBOLS.get(code.upper())
    text = f"{symbol}{figure}" if symbol else f"{code}\u00a0{figure}"
    return f"-{text}" if amount < 0 else text


def _local(value):
    """An aware datetime in the business time zone; dates and naive datetimes as they are."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _local_date(value) -> datetime.date:
    value = _local(value)
    return value.date() if isinstance(value, datetime.datetime) else value


def format_day(value) -> str:
    """``Dec 7, 2026`` / ``2026年12月7日``; a datetime is first moved to the business time zone."""
    if value in (None, ""):
        return ""
    return formats.date_format(_local_date(value), "DATE_FORMAT")


def format_moment(value) -> str:
    """``Dec 7, 2026 14:05`` / ``2026年12月7日 14:05`` in the business time zone."""
    if value in (None, ""):
        return ""
    if not isinstance(value, datetime.datetime):
        return format_day(value)
    return formats.date_format(_local(value), "DATETIME_FORMAT")


def relative_day(value, style: str = "", today: datetime.date | None = None) -> str:
    """How far a date is from today in words: "today", "in 3 days", "2 days ago".

    ``style="overdue"`` is for work that was due: a past date reads "2 days overdue".
    """
    if value in (None, ""):
        return ""
    days = (_local_date(value) - (today or timezone.localdate())).days
    if days == 0:
        return gettext("today")
    if days == 1:
        return gettext("tomorrow")
    if days < 0 and style == "overdue":
        return ngettext("%(n)d day overdue", "%(n)d days overdue", -days) % {"n": -days}
    if days == -1:
        return gettext("yesterday")
    if days > 0:
        return ngettext("in %(n)d day", "in %(n)d days", days) % {"n": days}
    return ngettext("%(n)d day ago", "%(n)d days ago", -days) % {"n": -days}


register.filter("money", format_money)
register.filter("day", format_day)
register.filter("moment", format_moment)
register.filter("relative", relative_day)
