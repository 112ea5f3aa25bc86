"""A rep follows a suggestion from a customer page into a new deal, priced at the list price."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from sales.models import Deal
from tests.browser.conftest import sign_in
from tests.factories import CustomerFactory, ProductFactory, RepFactory, SalesRecordFactory, TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_suggestion_becomes_a_deal_with_the_product_and_its_price(live_server, page):
    rep = RepFactory(username="alice", first_name="Alice")
    stranger = RepFactory(username="bob")
    TeamFactory(name="South", members=[stranger])
    kit = ProductFactory(name="Hardware kit", list_price=Decimal("1234.50"))
    support = ProductFactory(name="Support plan", list_price=Decimal("2300.00"))
    last_month = timezone.localdate() - datetime.timedelta(days=30)
    for i in range(6):
        theirs = CustomerFactory(owner=stranger, name=f"Secret Corp {i}")
        for product in (kit, support):
            SalesRecordFactory(customer=theirs, product=product, sold_on=last_month)
    mine = CustomerFactory(owner=rep, name="Harbor Lights Ltd")
    SalesRecordFactory(customer=mine, product=kit, sold_on=last_month)
    call_command("rebuild_recommendations", verbosity=0)

    sign_in(page, "alice")
    page.goto(f"/customers/{mine.pk}/")
    panel = page.locator("#suggested-next")
    suggestion = panel.locator(".suggestion", has_text="Support plan")
    assert "bought with Hardware kit by 6 customers" in suggestion.inner_text()
    assert "2,300.00" in suggestion.inner_text()
    assert "Secret Corp" not in panel.inner_text()
    suggestion.get_by_role("link", name="Create deal").click()

    page.wait_for_url(re.compile(r"/deals/new/\?"))
    assert page.locator("#id_product option:checked").inner_text() == "Support plan"
    assert page.input_value("#id_amount") == "2300.00"
    assert page.input_value("#id_title") == "Harbor Lights Ltd - Support plan"
    page.get_by_role("button", name="Create deal").click()
    page.wait_for_url(re.compile(r"/deals/\d+/$"))

    deal = Deal.objects.get(pk=int(re.search(r"/deals/(\d+)/$", page.url).group(1)))
    assert (deal.customer, deal.product, deal.amount, deal.owner) == (mine, support, Decimal("2300.00"), rep)
    page.goto(f"/customers/{mine.pk}/")
    assert page.locator("#deals-title").inner_text().endswith("1")
    page.get_by_role("link", name="Harbor Lights Ltd - Support plan").wait_for()
