"""The dashboard's filter bar in the browser: presets and custom ranges refresh the body in place."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from sales.management.commands.seed_demo import DEMO_PASSWORD
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_manager_changes_the_period_and_follows_won_revenue_to_its_deals(page):
    call_command("seed_demo", customers=30, deals=150, verbosity=0, reset=True)
    sign_in(page, "manager", DEMO_PASSWORD)
    page.goto("/dashboard/")
    assert page.locator("h1").inner_text() == "Sales dashboard"
    page.wait_for_function("() => document.querySelectorAll('canvas[data-chart]').length > 0")
    page.evaluate("window.stillTheSamePage = true")

    page.select_option("#id_period", "year")
    page.wait_for_url("**/dashboard/?*period=year*")
    year = timezone.localdate().year
    page.wait_for_function(
        f"() => document.querySelector('#dashboard-body').textContent.includes('Jan 1, {year}')"
    )
    assert page.evaluate("window.stillTheSamePage === true"), "the filter reloaded the whole page"

    won = page.locator(".card-metric", has_text="Won revenue").locator("a.value")
    figure = won.inner_text().strip()
    won.click()
    page.wait_for_url("**/deals/?*")
    assert "status=won" in page.url
    assert f"closed_from={year}-01-01" in page.url
    assert f"closed_to={year}-12-31" in page.url
    # The list behind the number adds up to the number.
    assert f"Won {figure}" in page.locator("body").inner_text()


def test_a_custom_range_waits_for_both_dates(page):
    call_command("seed_demo", customers=10, deals=30, verbosity=0, reset=True)
    sign_in(page, "manager", DEMO_PASSWORD)
    page.goto("/dashboard/")
    page.select_option("#id_period", "custom")
    assert page.locator("#id_start").is_visible()
    page.wait_for_timeout(300)
    assert "period=custom" not in page.url  # no refresh until both dates are there
    page.fill("#id_start", "2024-01-01")
    page.fill("#id_end", "2024-03-31")
    page.click("#dashboard-filters [type=submit]")
    page.wait_for_url("**/dashboard/?*period=custom*")
    page.wait_for_function(
        "() => document.querySelector('#dashboard-body').textContent.includes('Jan 1, 2024')"
    )
