"""Every page, as rep, manager and admin, on a 390 px phone and a 1366 px laptop.

A page fails when it is wider than the window (a sideways-scrolling page; the board's columns scroll
inside their own strip instead), when the browser logs an error, or when any request it makes (an
asset, an htmx fragment) fails or answers 4xx/5xx.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from sales.models import SalesPlan, Stage
from tests.browser.conftest import sign_in
from tests.factories import (
    ActivityFactory,
    AdminFactory,
    ContactFactory,
    CustomerFactory,
    DealFactory,
    ManagerFactory,
    ProductFactory,
    RepFactory,
    SalesPlanFactory,
    SalesRecordFactory,
    TeamFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Filter-bar selects whose chosen option, or text boxes whose placeholder, is wider than the box can
# show ("Any sta", "Everyo"): measured with the control's own font.
CUT_OFF_FILTERS = """() => {
  const canvas = document.createElement("canvas").getContext("2d");
  const cut = [];
  for (const el of document.querySelectorAll("form[role=search] select, form[role=search] input[list]")) {
    const style = getComputedStyle(el);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const text = el.tagName === "SELECT" ? (el.selectedOptions[0] || {}).text || "" : el.placeholder;
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (canvas.measureText(text).width > room + 1) cut.push(el.name + ": " + text);
  }
  return cut;
}"""
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture
def book(db):
    """A team with a rep and a manager, an admin, and a book with long names and large amounts."""
    rep = RepFactory(username="alice", first_name="Alexandra", last_name="Archer-Montgomery")
    manager = ManagerFactory(username="boss", first_name="Bea", last_name="Boss")
    TeamFactory(name="North", manager=manager, members=[rep])
    AdminFactory(username="root")
    today = timezone.localdate()
    customer = CustomerFactory(
        owner=rep, name="Harbor Lights International Logistics Holdings", need=Decimal("1234567.89")
    )
    contact = ContactFactory(customer=customer)
    product = ProductFactory()
    deal = DealFactory(
        owner=rep,
        customer=customer,
        title="Fleet tracking for the whole northern region, phase two",
        amount=Decimal("9876543.21"),
        product=product,
        expected_close=today + datetime.timedelta(days=12),
    )
    won = DealFactory(owner=rep, customer=customer, title="Pilot", amount=Decimal("339500"))
    won.move_to(Stage.objects.get(key="buy"), by=rep)
    lost = DealFactory(owner=rep, customer=customer, title="Lost pilot")
    lost.mark_lost("Budget went elsewhere", by=rep)
    DealFactory(owner=rep, customer=customer, stage=Stage.objects.get(key="choose"))
    ActivityFactory(
        owner=rep, customer=customer, deal=deal, due_at=timezone.now() - datetime.timedelta(days=2)
    )
    activity = ActivityFactory(
        owner=rep, customer=customer, deal=deal, due_at=timezone.now() + datetime.timedelta(hours=3)
    )
    SalesRecordFactory(owner=rep, customer=customer, amount=Decimal("27000"), sold_on=today)
    SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=rep, revenue_quota=Decimal("1000000"))
    return {"customer": customer, "contact": contact, "deal": deal, "activity": activity}


def pages_for(role: str, book: dict) -> list[str]:
    deal, customer = book["deal"].pk, book["customer"].pk
    pages = [
        "/",
        "/dashboard/",
        "/pipeline/",
        "/deals/",
        "/deals/new/",
        f"/deals/{deal}/",
        f"/deals/{deal}/edit/",
        "/customers/",
        "/customers/new/",
        f"/customers/{customer}/",
        f"/customers/{customer}/edit/",
        f"/customers/contacts/{book['contact'].pk}/edit/",
        "/activities/",
        "/activities/new/",
        f"/activities/{book['activity'].pk}/edit/",
        "/sales-records/",
        "/plans/",
        "/accounts/",
        "/accounts/password/",
        "/accounts/preferences/",
        "/notifications/",
        "/dashboard/pipeline-trend/",
        f"/customers/contacts/{book['contact'].pk}/",
    ]
    if role != "rep":
        pages.append("/imports/")
    if role == "admin":
        pages += ["/admin/", "/admin/sales/deal/", f"/admin/sales/deal/{deal}/change/"]
    return pages


def problems_on(page, url: str, viewport: dict) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda m: m.type == "error" and seen.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: seen.append(f"script error: {e}"))
    page.on("requestfailed", lambda r: seen.append(f"request failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and seen.append(f"{r.status} from {r.url}"))
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    if response is None or response.status != 200:
        seen.append(f"answered {response.status if response else 'nothing'}")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > viewport["width"]:
        seen.append(f"{width} px wide in a {viewport['width']} px window")
    for label in page.evaluate(CUT_OFF_FILTERS):
        seen.append(f"the filter {label!r} is cut off")
    return [f"{url}: {p}" for p in seen]


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
@pytest.mark.parametrize(("role", "username"), [("rep", "alice"), ("manager", "boss"), ("admin", "root")])
def test_every_page_fits_and_loads_cleanly(new_page, book, role, username, viewport):
    page = new_page()
    page.set_viewport_size(viewport)
    sign_in(page, username)
    found = []
    for url in pages_for(role, book):
        tab = page.context.new_page()
        tab.set_viewport_size(viewport)
        found += problems_on(tab, url, viewport)
        tab.close()
    assert found == [], "\n".join(found)
