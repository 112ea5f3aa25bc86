"""One date format and one amount format per language, from ``crm.formatting``.

The page test renders the screens people scan (dashboard, lists, a deal and a customer, the board,
My day, sales records) in English and in Chinese, takes their visible text, finds everything that
looks like a date or an amount, and requires each to be written in that language's one format.
"""

import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.utils import timezone, translation

from crm.formatting import format_day, format_moment, format_money, relative_day
from sales.models import Stage
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    DealFactory,
    SalesPlanFactory,
    SalesRecordFactory,
)


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (Decimal("1234.5"), "USD", "$1,234.50"),
        (Decimal("-80"), "USD", "-$80.00"),
        (Decimal("0.005"), "USD", "$0.01"),
        (Decimal("1234567.891"), "CNY", "¥1,234,567.89"),
        (12, "CHF", "CHF\u00a012.00"),
    ],
)
def test_money_writes_the_currency_grouping_and_cents(value, currency, text):
    assert format_money(value, currency) == text


def test_money_of_nothing_is_empty():
    assert format_money(None) == ""


@pytest.mark.parametrize(
    ("language", "day", "moment"),
    [("en", "Dec 7, 2026", "Dec 7, 2026 09:05"), ("zh-hans", "2026年12月7日", "2026年12月7日 09:05")],
)
def test_one_date_and_one_moment_style_per_language(language, day, moment, settings):
    settings.TIME_ZONE = "UTC"
    at = datetime.datetime(2026, 12, 7, 9, 5, tzinfo=datetime.UTC)
    with translation.override(language):
        assert format_day(datetime.date(2026, 12, 7)) == day
        assert format_day(at) == day
        assert format_moment(at) == moment


@pytest.mark.parametrize(
    ("offset", "text"),
    [(0, "today"), (1, "tomorrow"), (-1, "yesterday"), (3, "in 3 days"), (-2, "2 days ago")],
)
def test_relative_days(offset, text):
    today = datetime.date(2026, 12, 7)
    assert relative_day(today + datetime.timedelta(days=offset), today=today) == text


def test_past_due_work_reads_as_overdue():
    today = datetime.date(2026, 12, 7)
    assert relative_day(datetime.date(2026, 12, 5), "overdue", today=today) == "2 days overdue"
    assert relative_day(datetime.date(2026, 12, 6), "overdue", today=today) == "1 day overdue"
    with translation.override("zh-hans"):
        assert relative_day(datetime.date(2026, 12, 5), "overdue", today=today) == "逾期 2 天"


def test_relative_days_in_chinese():
    today = datetime.date(2026, 12, 7)
    with translation.override("zh-hans"):
        assert relative_day(today + datetime.timedelta(days=3), today=today) == "3 天后"
        assert relative_day(today - datetime.timedelta(days=2), today=today) == "2 天前"


class _VisibleText(HTMLParser):
    """The text a reader sees: no scripts, styles, templates or attribute values."""

    HIDDEN = {"script", "style", "template", "textarea", "select"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
SHORT_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
# Anything a reader would take for a date, in any style.
DATE_LIKE = re.compile(
    rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|\d{{4}}年\d{{1,2}}月\d{{1,2}}日|(?<!年)\d{{1,2}}月\d{{1,2}}日"
    rf"|(?:{MONTHS}|{SHORT_MONTHS})\.? \d{{1,2}}\b(?:, \d{{4}})?"
)
ONE_DATE = {
    "en": re.compile(rf"(?:{SHORT_MONTHS}) \d{{1,2}}, \d{{4}}"),
    "zh-hans": re.compile(r"\d{4}年\d{1,2}月\d{1,2}日"),
}
# A figure with cents is an amount unless it is a percentage.
CENTS = re.compile(r"(\S*?)(\d[\d,]*\.\d\d)(?!\d)(\s*%)?")
ONE_AMOUNT = re.compile(r"-?\$\d{1,3}(?:,\d{3})*\.\d\d")


@pytest.fixture
def book(rep, team):
    today = timezone.localdate()
    customer = CustomerFactory(owner=rep, name="Formats Ltd", need=Decimal("250000"))
    open_deal = DealFactory(
        owner=rep,
        customer=customer,
        title="Open formats deal",
        amount=Decimal("12345.67"),
        expected_close=today + datetime.timedelta(days=20),
    )
    DealFactory(
        owner=rep, customer=customer, title="Chosen formats deal", stage=Stage.objects.get(key="choose")
    )
    SalesRecordFactory(owner=rep, customer=customer, amount=Decimal("98765.43"), sold_on=today)
    ActivityFactory(
        owner=rep, customer=customer, deal=open_deal, due_at=timezone.now() + datetime.timedelta(days=2)
    )
    ActivityFactory(owner=rep, customer=customer, deal=open_deal, done_at=timezone.now())
    SalesPlanFactory(scope="rep", rep=rep, revenue_quota=Decimal("500000"))
    return {"customer": customer, "deal": open_deal}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pages_write_one_date_and_one_amount_format(language, rep_client, manager, book):
    pages = [
        "/",
        "/dashboard/",
        "/pipeline/",
        "/deals/",
        f"/deals/{book['deal'].pk}/",
        "/customers/",
        f"/customers/{book['customer'].pk}/",
        "/activities/",
        "/sales-records/",
        "/dashboard/pipeline-trend/",
        # The same figures as the team's manager sees them, with the leaderboard and the plans.
        ("manager", "/dashboard/"),
        ("manager", "/plans/"),
        ("manager", "/activities/"),
    ]
    found_dates = found_amounts = 0
    for url in pages:
        if isinstance(url, tuple):
            rep_client.force_login(manager)
            url = url[1]
        response = rep_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        for match in DATE_LIKE.finditer(text):
            assert ONE_DATE[language].fullmatch(match.group()), f"{url}: date written as {match.group()!r}"
            found_dates += 1
        for prefix, figure, percent in CENTS.findall(text):
            if percent:
                continue
            written = prefix[-2:].lstrip(" ") + figure if prefix.endswith("$") else figure
            assert ONE_AMOUNT.search(prefix + figure), f"{url}: amount written as {written!r}"
            found_amounts += 1
    # The pages did show dates and amounts: the checks above ran on real figures.
    assert found_dates >= 5
    assert found_amounts >= 5
