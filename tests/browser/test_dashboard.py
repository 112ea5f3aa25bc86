"""The dashboard in the browser: the demo manager changes the period and drills into a number."""

import datetime
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from sales.management.commands.seed_demo import DEMO_PASSWORD
from sales.models import Deal
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_demo_manager_changes_the_period_and_follows_deals_won_to_those_deals(live_server, page):
    call_command("seed_demo", customers=30, deals=200, verbosity=0, reset=True)
    manager = get_user_model().objects.get(username="manager")
    sign_in(page, "manager", DEMO_PASSWORD)
    page.goto("/dashboard/")
    assert page.locator("#id_period").input_value() == "quarter"
    page.evaluate("window.notReloaded = true")

    # The last twelve months (the demo data's year of history, whatever today's date): the body
    # refreshes in place (htmx) and the URL keeps the choice.
    end = timezone.localdate()
    start = end - datetime.timedelta(days=364)
    page.select_option("#id_period", "custom")
    page.fill("#id_start", start.isoformat())
    page.fill("#id_end", end.isoformat())
    page.click("#dashboard-filters [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/\?.*period=custom"))
    page.wait_for_function(
        "() => [...document.querySelectorAll('#dashboard-body .card-metric a.value')]"
        f".some(a => a.href.includes('closed_from={start.isoformat()}'))"
    )
    assert page.evaluate("window.notReloaded === true")

    card = page.locator("#dashboard-body .card-metric", has_text="Deals won")
    shown = int(card.locator("a.value").inner_text().strip().replace(",", ""))
    card.locator("a.value").click()
    page.wait_for_url(re.compile(r"/deals/\?"))
    query = parse_qs(urlparse(page.url).query)
    assert query["status"] == ["won"]
    assert (query["closed_from"], query["closed_to"]) == ([start.isoformat()], [end.isoformat()])

    # The list behind the number holds exactly the deals the number counts.
    won = set(Deal.objects.visible_to(manager).won().closed_between(start, end).values_list("pk", flat=True))
    assert shown == len(won) > 0
    summary = page.locator("#deal-table").inner_text()
    assert re.search(rf"\b{len(won)} deals?\b", summary)
    listed = {
        int(m)
        for href in page.locator("#deal-table tbody a[href^='/deals/']").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        for m in re.findall(r"^/deals/(\d+)/$", href)
    }
    assert listed and listed <= won
    assert len(listed) == min(len(won), 25)  # the first page of the list
