"""The plans page in the browser: the demo manager sets next quarter's monthly targets cell by cell,
copies them forward, and finds them in the quarter after."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from sales.management.commands.seed_demo import DEMO_PASSWORD
from sales.models import SalesPlan
from sales.planning import MONTH, Window, window_from
from tests.browser.conftest import sign_in, sync_api

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def cell_id(rep, period) -> str:
    return f"#plan-rep-{rep.pk}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"


def url(window: Window) -> str:
    return f"/plans/?period=month&year={window.year}&quarter={window.quarter}&level=rep"


def fill_cell(page, selector: str, revenue: str, activities: str) -> None:
    """Type a plan into the opened cell ``selector`` and send it with Enter."""
    # The opened form takes the focus (htmx settles autofocus a moment after the swap);
    # typing before that could land in the wrong field.
    sync_api.expect(page.locator(f"{selector} input[name=revenue_quota]")).to_be_focused()
    page.locator(f"{selector} input[name=revenue_quota]").fill(revenue)
    page.locator(f"{selector} input[name=activities_quota]").fill(activities)
    page.locator(f"{selector} input[name=target_ratio]").fill("0.5")
    page.locator(f"{selector} input[name=activity_ratio]").fill("0.6")
    page.locator(f"{selector} input[name=activity_ratio]").press("Enter")


def escape_then_a_refusal(page, cell: str) -> None:
    """In the empty ``cell``: Escape closes the form unsaved; a negative quota is refused."""
    # Escape closes a form without saving.
    first = page.locator(cell)
    first.locator("button").click()
    opened = page.locator(f"{cell} input[name=revenue_quota]")
    sync_api.expect(opened).to_be_focused()
    opened.fill("1")
    page.keyboard.press("Escape")
    page.locator(f"{cell} .plan-cell-button").wait_for()
    assert not SalesPlan.objects.filter(scope="rep").exclude(external_id__startswith="demo").exists()

    # A negative quota is refused with its message, and the typed values stay.
    first.locator("button").click()
    fill_cell(page, cell, "-10", "30")
    error = page.locator(f"{cell} .invalid-feedback")
    error.wait_for()
    assert "cannot be negative" in error.inner_text()
    kept = page.locator(f"{cell} input[name=activities_quota]")
    assert kept.input_value() == "30"


def test_the_demo_manager_sets_next_quarters_targets_and_copies_them_forward(live_server, page):
    call_command("seed_demo", customers=10, deals=30, verbosity=0, reset=True)
    User = get_user_model()
    reps = [User.objects.get(username="rep1"), User.objects.get(username="rep2")]
    this_quarter = window_from({}, timezone.localdate())
    assert this_quarter.granularity == MONTH
    following = this_quarter.following()
    after = following.following()

    sign_in(page, "manager", DEMO_PASSWORD)
    page.get_by_role("link", name="Plans").click()
    page.wait_for_url("**/plans/")
    page.goto(url(following))
    assert "No plans for" in page.locator("#plan-grid").inner_text()

    escape_then_a_refusal(page, cell_id(reps[0], following.periods[0]))

    # Every month of next quarter for both reps, typed and saved with Enter.
    for r, rep in enumerate(reps):
        for m, period in enumerate(following.periods):
            selector = cell_id(rep, period)
            if page.locator(f"{selector} form").count() == 0:
                page.locator(f"{selector} button").click()
            quota = str(10000 + 1000 * r + 100 * m)
            fill_cell(page, selector, quota, str(20 + m))
            page.locator(f"{selector}[data-planned] [data-revenue]").wait_for()
            shown = page.locator(f"{selector} [data-revenue]").inner_text()
            assert shown == f"${int(quota):,}.00"
    # The totals follow each save.
    total = page.locator(f"#plan-total-rep-{reps[1].pk} [data-revenue]").inner_text()
    assert total == "$33,300.00"

    page.get_by_role("button", name="Copy forward").click()
    page.wait_for_url(f"**quarter={after.quarter}**")
    assert "Copied 6 plans" in page.locator("#messages").inner_text()
    for r, rep in enumerate(reps):
        for m, period in enumerate(after.periods):
            shown = page.locator(f"{cell_id(rep, period)} [data-revenue]").inner_text()
            assert shown == f"${10000 + 1000 * r + 100 * m:,}.00"
    copied = SalesPlan.objects.get(rep=reps[1], period_start=after.periods[2].start)
    assert (copied.revenue_quota, copied.activities_quota) == (Decimal("11200.00"), 22)

    # Copying again skips every cell, which already has its plan.
    page.goto(url(following))
    page.get_by_role("button", name="Copy forward").click()
    page.wait_for_url(f"**quarter={after.quarter}**")
    assert "Copied 0 plans" in page.locator("#messages").inner_text()
    assert "Skipped 6" in page.locator("#messages").inner_text()

    # The dashboard (the manager's team, whose own plan covers only this quarter) adds the reps'
    # monthly plans up: a month, the quarter, a pro-rated ten days, and the year.
    for start, end, expected, note in dashboard_views(this_quarter, following, after):
        page.goto(f"/dashboard/?period=custom&start={start}&end={end}")
        badge = page.locator("[data-testid=plan-quota]").inner_text()
        assert f"{expected.quantize(Decimal('0.01')):,.2f}" in badge, (start, end, badge)
        assert note in badge


def dashboard_views(this_quarter: Window, following: Window, after: Window) -> list[tuple]:
    """(start, end, the quota the dashboard shows, a word of its badge) for the plans typed above."""
    typed = {}  # month start -> the two reps' quotas that month, as typed above
    for window in (following, after):
        for m, period in enumerate(window.periods):
            typed[period.start] = (period.end, sum(Decimal(10000 + 1000 * r + 100 * m) for r in range(2)))
    first_start, (first_end, first_sum) = next(iter(typed.items()))
    ten_days = first_sum * 10 / ((first_end - first_start).days + 1)
    year = following.periods[0].start.year
    in_year = sum(v for start, (_end, v) in typed.items() if start.year == year)
    if this_quarter.year == year:  # the demo team plan of this quarter counts whole
        in_year += Decimal("1000000")
    views = [
        (first_start, first_end, first_sum, "2 monthly plans"),
        (
            following.periods[0].start,
            following.periods[-1].end,
            sum(v for _e, v in list(typed.values())[:3]),
            "6 monthly plans",
        ),
        (first_start, first_start.replace(day=10), ten_days, "2 pro-rated"),
        (datetime.date(year, 1, 1), datetime.date(year, 12, 31), in_year, "monthly plans"),
    ]
    return views


def test_the_plans_page_fits_a_phone_and_scrolls_inside_the_grid(live_server, new_page):
    call_command("seed_demo", customers=10, deals=30, verbosity=0, reset=True)
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "manager", DEMO_PASSWORD)
    page.goto("/plans/?period=month&quarter=")  # twelve months: wider than a phone
    page.locator("#plan-table").wait_for()
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 390
    scroller = page.locator(".plan-grid-scroll")
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")
