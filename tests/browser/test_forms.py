"""Forms in the browser: a product fills the deal's amount, the activity form's deals follow the
customer, and the deal list moves several deals at once."""

from decimal import Decimal

import pytest

from sales.models import Deal, Stage
from tests.browser.conftest import sign_in
from tests.browser.test_every_page import LAPTOP, PHONE, problems_on
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    CustomerFactory,
    DealFactory,
    ManagerFactory,
    ProductFactory,
    RepFactory,
    SalesRecordFactory,
    TeamFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def rep(db):
    rep = RepFactory(username="alice", first_name="Alice", last_name="Archer")
    CustomerFactory(name="Harbor Lights", owner=rep)
    ProductFactory(name="Scanner", list_price=Decimal("1250.00"))
    ProductFactory(name="Printer", list_price=Decimal("300.00"))
    return rep


def test_choosing_a_product_fills_an_empty_amount(page, rep):
    sign_in(page, "alice")
    page.goto("/deals/new/")
    page.fill("#id_amount", "")
    page.select_option("#id_product", label="Scanner")
    assert page.input_value("#id_amount") == "1250.00"
    # The amount came from the product, so another product replaces it.
    page.select_option("#id_product", label="Printer")
    assert page.input_value("#id_amount") == "300.00"


def test_a_typed_amount_is_not_overwritten(page, rep):
    sign_in(page, "alice")
    page.goto("/deals/new/")
    page.fill("#id_amount", "999")
    page.select_option("#id_product", label="Scanner")
    assert page.input_value("#id_amount") == "999"


def test_the_edit_form_keeps_the_deals_amount(page, rep):
    deal = DealFactory(customer=rep.customers.get(), owner=rep, amount=Decimal("4200.00"))
    sign_in(page, "alice")
    page.goto(f"/deals/{deal.pk}/edit/")
    page.select_option("#id_product", label="Scanner")
    assert page.input_value("#id_amount") == "4200.00"


def test_the_activity_forms_deals_follow_the_customer(page, rep):
    harbor = rep.customers.get()
    depot = CustomerFactory(name="Depot Supplies", owner=rep)
    DealFactory(customer=harbor, owner=rep, title="Fleet tracking")
    DealFactory(customer=depot, owner=rep, title="Depot scanners")
    sign_in(page, "alice")
    page.goto("/activities/new/")
    assert "Depot scanners" in page.locator("#id_deal").inner_text()
    with page.expect_response(lambda r: "/deals/options/" in r.url):
        page.select_option("#id_customer", label="Harbor Lights")
    page.wait_for_function("!document.querySelector('#id_deal').innerText.includes('Depot scanners')")
    assert "Fleet tracking" in page.locator("#id_deal").inner_text()


def test_two_deals_ticked_on_the_list_move_together(page, rep):
    harbor = rep.customers.get()
    first = DealFactory(customer=harbor, owner=rep, title="Fleet tracking")
    second = DealFactory(customer=harbor, owner=rep, title="Dock scanners")
    third = DealFactory(customer=harbor, owner=rep, title="Crane sensors")
    sign_in(page, "alice")
    page.goto("/deals/")
    assert page.locator("[data-batch-submit]").is_disabled()
    page.get_by_label("Select Fleet tracking").check()
    page.get_by_label("Select Dock scanners").check()
    assert "2 selected" in page.locator("[data-batch-count]").inner_text()
    page.select_option("#batch-action", "move")
    assert page.locator("#batch-reason").is_hidden()
    page.select_option("#batch-stage", "choose")
    page.click("[data-batch-submit]")
    page.wait_for_selector("text=2 deals moved to Choose.")
    choose = Stage.objects.get(key="choose")
    assert Deal.objects.get(pk=first.pk).stage == choose
    assert Deal.objects.get(pk=second.pk).stage == choose
    assert Deal.objects.get(pk=third.pk).stage.key == "lead"


def test_select_all_ticks_every_deal_on_the_page(page, rep):
    harbor = rep.customers.get()
    for title in ("Fleet tracking", "Dock scanners"):
        DealFactory(customer=harbor, owner=rep, title=title)
    sign_in(page, "alice")
    page.goto("/deals/")
    page.get_by_label("Select all deals on this page").check()
    assert page.locator("input[name=deals]:checked").count() == 2
    page.select_option("#batch-action", "won")
    page.click("[data-batch-submit]")
    page.wait_for_selector("text=2 deals won.")
    assert set(Deal.objects.values_list("status", flat=True)) == {"won"}


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_the_changed_pages_fit_and_load_cleanly(new_page, viewport):
    manager = ManagerFactory(username="boss", first_name="Bea", last_name="Boss")
    rep = RepFactory(username="alice", first_name="Alice", last_name="Archer")
    TeamFactory(name="North", manager=manager, members=[rep])
    harbor = CustomerFactory(name="Harbor Lights", owner=rep, region="North", channel="Referral")
    contact = ContactFactory(customer=harbor, name="Ada Lovelace", email="ada@harbor.test")
    deal = DealFactory(customer=harbor, owner=rep, title="Fleet tracking", contact=contact)
    ActivityFactory(deal=deal, customer=harbor, owner=rep, subject="Demo of the trackers")
    SalesRecordFactory(customer=harbor, owner=rep, product=ProductFactory(category="Scanners"))
    page = new_page()
    page.set_viewport_size(viewport)
    sign_in(page, "boss")
    found = []
    urls = [
        f"/customers/contacts/{contact.pk}/",
        "/deals/",
        "/deals/new/",
        f"/deals/{deal.pk}/",
        f"/deals/{deal.pk}/edit/",
        "/customers/",
        "/sales-records/",
        "/activities/new/",
    ]
    for url in urls:
        tab = page.context.new_page()
        tab.set_viewport_size(viewport)
        found += problems_on(tab, url, viewport)
        tab.close()
    assert found == [], "\n".join(found)


def test_the_region_box_offers_the_regions_and_ignores_case(page, rep):
    CustomerFactory(name="Depot Supplies", owner=rep, region="South")
    rep.customers.filter(name="Harbor Lights").update(region="North")
    sign_in(page, "alice")
    page.goto("/customers/")
    options = page.eval_on_selector_all("#id_region-options option", "os => os.map(o => o.value)")
    assert options == ["North", "South"]
    page.fill("#id_region", "north")
    page.press("#id_region", "Enter")
    page.wait_for_url("**/customers/?*region=north*")
    page.wait_for_function("!document.querySelector('#customer-table tbody').innerText.includes('Depot')")
    assert "Harbor Lights" in page.locator("#customer-table tbody").inner_text()


def test_the_deal_forms_contacts_follow_the_customer(page, rep):
    harbor = rep.customers.get()
    depot = CustomerFactory(name="Depot Supplies", owner=rep)
    ContactFactory(customer=harbor, name="Ada Lovelace")
    ContactFactory(customer=depot, name="Grace Hopper")
    sign_in(page, "alice")
    page.goto("/deals/new/")
    with page.expect_response(lambda r: "/customers/contacts/options/" in r.url):
        page.select_option("#id_customer", label="Depot Supplies")
    page.wait_for_function("document.querySelector('#id_contact').innerText.includes('Grace Hopper')")
    assert "Ada Lovelace" not in page.locator("#id_contact").inner_text()
    page.fill("#id_title", "Scanners for the depot")
    page.select_option("#id_contact", label="Grace Hopper")
    page.get_by_role("button", name="Create deal").click()
    page.wait_for_url("**/deals/*/")
    assert Deal.objects.get().contact.name == "Grace Hopper"
