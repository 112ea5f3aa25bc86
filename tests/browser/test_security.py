"""The Content-Security-Policy in a real browser: every page still works, nothing is refused."""

import re

import pytest

from tests.browser.conftest import sign_in
from tests.factories import (
    AdminFactory,
    CustomerFactory,
    DealFactory,
    ManagerFactory,
    RepFactory,
    TeamFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PAGES = [
    "/",
    "/pipeline/",
    "/deals/",
    "/customers/",
    "/activities/",
    "/sales-records/",
    "/dashboard/",
    "/imports/",
    "/accounts/",
    "/accounts/password/",
    "/accounts/preferences/",
    "/notifications/",
    "/dashboard/pipeline-trend/",
    "/no-such-page/",
    "/api/docs/",
    "/admin/",
    "/admin/auth/user/",
    "/admin/accounts/signinthrottle/",
]


def watch_for_refusals(page) -> list[str]:
    """Console messages in which Chromium reports something the CSP refused."""
    refused = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return refused


@pytest.fixture
def admin_with_a_book(db):
    admin = AdminFactory(username="root", first_name="Ada", last_name="Root")
    rep = RepFactory(username="alice")
    TeamFactory(name="North", manager=ManagerFactory(username="boss"), members=[rep])
    customer = CustomerFactory(owner=rep, name="Harbor Lights Ltd")
    DealFactory(owner=rep, customer=customer, title="Fleet tracking")
    return admin


def test_no_page_has_anything_refused_by_the_csp(live_server, page, admin_with_a_book):
    refused = watch_for_refusals(page)
    sign_in(page, "root")
    for path in PAGES:
        page.goto(path)
        if path == "/api/docs/":
            # Swagger UI builds the page from the schema after it loaded.
            page.locator(".swagger-ui .opblock-tag").first.wait_for()
        assert refused == [], f"{path}: {refused}"


def test_the_scripted_pages_still_run_under_the_csp(live_server, page, admin_with_a_book):
    sign_in(page, "root")
    page.goto("/pipeline/")
    page.locator(".board-card", has_text="Fleet tracking").wait_for()
    page.goto("/dashboard/")
    page.locator("#dashboard-body canvas").first.wait_for()
    page.goto("/api/docs/")
    page.locator(".swagger-ui .opblock-tag", has_text="deals").first.wait_for()


def test_the_language_switch_still_submits_itself(live_server, page, admin_with_a_book):
    sign_in(page, "root")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_load_state("load")
    page.get_by_role("link", name=re.compile("今日工作")).wait_for()


def test_go_back_on_the_not_found_page_goes_back(live_server, page, admin_with_a_book):
    sign_in(page, "root")
    page.goto("/deals/")
    page.goto("/no-such-page/")
    page.get_by_role("link", name="Go back").click()
    page.wait_for_url(re.compile(r"/deals/$"))


def test_sign_out_everywhere_from_the_account_page(live_server, new_page, admin_with_a_book):
    here, there = new_page(), new_page()
    sign_in(here, "root")
    sign_in(there, "root")
    here.get_by_role("link", name="Ada Root").click()
    here.get_by_role("button", name="Sign out everywhere").click()
    here.wait_for_url(re.compile(r"/accounts/login/$"))
    assert "signed out on every device" in here.locator("#messages").inner_text()
    there.goto("/deals/")
    assert "/accounts/login/" in there.url


def test_a_locked_out_user_is_told_for_how_long(live_server, page, admin_with_a_book):
    for _ in range(10):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "not-her-password")
        page.click("form [type=submit]")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "pw-for-tests-123")
    page.click("form [type=submit]")
    page.get_by_text("Too many failed sign-ins; try again in 15 minutes.").wait_for()
    assert "/accounts/login/" in page.url
