"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

The live server runs in a thread with its own database connection, so the tests need real commits
(``transactional_db``, which ``live_server`` brings); ``serialized_rollback`` puts back the stages
and groups that the data migrations made, which the flush after each test would otherwise remove.
"""

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in the test's thread; the ORM calls the tests
# make around it are ordinary synchronous calls, which Django would otherwise refuse.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "pw-for-tests-123"  # tests.factories.UserFactory's password


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test item so the page fixture knows whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def browser(django_db_setup, django_db_blocker) -> Iterator:
    """One Chromium for every test in this folder.

    Package scope rather than session: Playwright's sync API refuses to start while another sync
    Playwright runs in the thread, so the browser closes when the run leaves this folder and other
    tests can drive their own.
    """
    from django.db import connections

    # While Playwright runs, this thread has a running event loop, and Django then keeps its
    # connections in a context-local store instead of the thread-local one. Hand the thread's
    # connections (the test database, with the serialized copy that serialized_rollback restores)
    # to that store, so the tests keep using them.
    with django_db_blocker.unblock():
        existing = {alias: connections[alias] for alias in connections}
    with sync_api.sync_playwright() as playwright:
        for alias, connection in existing.items():
            connections[alias] = connection
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """Opens fresh pages (each with its own cookies, so its own sign-in); screenshots on failure."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=live_server.url)
        context.set_default_timeout(20_000)  # CI machines share their cores
        contexts.append(context)
        return context.new_page()

    yield open_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                # A page that crashed has nothing left to show; the test's own error says enough.
                with contextlib.suppress(sync_api.Error):
                    page.screenshot(path=str(ARTIFACTS / f"{name}-{i}-{j}.png"), full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form [type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
