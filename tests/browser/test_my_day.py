"""My day in the browser: marking a task done updates the day's counters without a reload."""

import datetime

import pytest
from django.utils import timezone

from tests.browser.conftest import sign_in
from tests.factories import ActivityFactory, CustomerFactory, RepFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_marking_a_task_done_updates_the_counters(page, live_server):
    rep = RepFactory(username="alice")
    customer = CustomerFactory(owner=rep)
    late = ActivityFactory(
        owner=rep, customer=customer, subject="Call back", due_at=timezone.now() - datetime.timedelta(days=2)
    )
    sign_in(page, "alice")
    page.goto("/")
    done_today = page.locator("[data-done-today]")
    assert done_today.inner_text() == "0"
    page.evaluate("window.__not_reloaded = true")
    page.locator(f"#activity-{late.pk}").get_by_role("button", name="Mark done").click()
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect(page.locator("[data-done-today]")).to_have_text("1")
    assert page.evaluate("window.__not_reloaded") is True
    late.refresh_from_db()
    assert late.done_at is not None
