"""The list pages' filter bars in the browser: a choice or a search refreshes the table in place and
lands in the address, and a dashboard link's filters stay until removed."""

import pytest

from sales.models import Stage
from tests.browser.conftest import sign_in
from tests.factories import (
    CustomerFactory,
    DealFactory,
    ManagerFactory,
    RepFactory,
    SalesRecordFactory,
    TeamFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def book(db) -> dict:
    rep = RepFactory(username="alice", first_name="Alice", last_name="Archer")
    manager = ManagerFactory(username="boss", first_name="Bea", last_name="Boss")
    TeamFactory(name="North", manager=manager, members=[rep])
    harbor = CustomerFactory(name="Harbor Lights", owner=rep, region="North")
    depot = CustomerFactory(name="Depot Supplies", owner=manager, region="South")
    DealFactory(customer=harbor, title="Fleet tracking")
    DealFactory(customer=depot, title="Depot scanners").move_to(Stage.objects.get(key="choose"), by=manager)
    SalesRecordFactory(customer=harbor, note="first order")
    SalesRecordFactory(customer=depot, note="spare parts")
    return {"rep": rep, "manager": manager}


def _rows(page, table: str) -> str:
    return page.locator(f"{table} tbody").inner_text()


def test_the_deal_bar_filters_in_place_and_keeps_a_dashboard_filter(page, book):
    sign_in(page, "boss")
    page.goto("/deals/?region=South&opened_from=2000-01-01")
    page.evaluate("window.stillTheSamePage = true")
    # The region has its box in the bar; the dashboard's "opened from" has none and shows as a chip.
    assert page.locator("#id_region").input_value() == "South"
    assert "2000-01-01" in page.locator("#deal-filters").inner_text()

    page.select_option("#id_stage", "choose")
    page.wait_for_url("**/deals/?*stage=choose*")
    assert "region=South" in page.url
    assert "Depot scanners" in _rows(page, "#deal-table")

    page.select_option("#id_stage", "lead")
    page.wait_for_function(
        "() => document.querySelector('#deal-table tbody').textContent.includes('No deals match')"
    )
    page.select_option("#id_owner", label="Alice Archer")
    page.wait_for_url("**/deals/?*owner=*")
    page.get_by_title("Remove this filter").click()
    page.wait_for_url(lambda url: "opened_from=" not in url)
    assert "region=South" in page.url
    page.fill("#id_region", "")
    page.locator("#id_region").dispatch_event("change")
    page.wait_for_url(lambda url: "region=South" not in url)
    page.locator("#id_q").press_sequentially("fleet")
    page.wait_for_url("**/deals/?*q=fleet*")
    page.wait_for_function("() => !document.querySelector('#deal-table tbody').textContent.includes('Depot')")
    assert "Fleet tracking" in _rows(page, "#deal-table")


def test_the_customer_and_sales_record_bars_refresh_their_tables(page, book):
    sign_in(page, "boss")
    page.goto("/customers/")
    page.evaluate("window.stillTheSamePage = true")
    page.locator("#id_q").press_sequentially("harbor")
    page.wait_for_url("**/customers/?*q=harbor*")
    page.wait_for_function(
        "() => !document.querySelector('#customer-table tbody').textContent.includes('Depot')"
    )
    assert "Harbor Lights" in _rows(page, "#customer-table")
    assert page.evaluate("window.stillTheSamePage === true"), "the filter reloaded the whole page"

    page.goto("/sales-records/")
    page.evaluate("window.stillTheSamePage = true")
    page.select_option("#id_owner", label="Alice Archer")
    page.wait_for_url("**/sales-records/?*owner=*")
    page.wait_for_function(
        "() => !document.querySelector('#salesrecord-table tbody').textContent.includes('spare')"
    )
    assert "first order" in _rows(page, "#salesrecord-table")
    assert page.evaluate("window.stillTheSamePage === true"), "the filter reloaded the whole page"


def test_the_activity_list_shows_whose_activities_were_picked(page, book):
    sign_in(page, "boss")
    page.goto("/activities/")
    # A manager starts on everyone they can see; their own are one pick away.
    assert page.locator("#id_owner").input_value() == "all"
    mine = str(book["manager"].pk)
    page.select_option("#id_owner", mine)
    page.wait_for_url(f"**/activities/?owner={mine}")
    assert page.locator("#id_owner").input_value() == mine
