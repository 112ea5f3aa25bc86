"""A rep's day in the browser: customer, deal, board, call, win; and who may see the deal."""

import datetime
import re

import pytest
from django.utils import timezone

from sales.models import Activity, Deal, SalesRecord, StageChange
from tests.browser.conftest import sign_in
from tests.factories import CustomerFactory, DealFactory, ManagerFactory, RepFactory, TeamFactory, lost_reason
from tests.sales.test_board import bulk_deals

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def drag(page, card, target) -> None:
    """Drag with the mouse, in small steps, the way SortableJS expects a person to."""
    card.scroll_into_view_if_needed()
    start, end = card.bounding_box(), target.bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 8, y + 8, steps=4)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=20)
    page.mouse.up()


@pytest.fixture
def people(db):
    """A rep and their manager in one team, and a rep from another team."""
    rep = RepFactory(username="alice", first_name="Alice", last_name="Archer")
    manager = ManagerFactory(username="boss", first_name="Bea", last_name="Boss")
    TeamFactory(name="North", manager=manager, members=[rep])
    stranger = RepFactory(username="bob", first_name="Bob", last_name="Baker")
    TeamFactory(name="South", manager=ManagerFactory(username="south_boss"), members=[stranger])
    return {"rep": rep, "manager": manager, "stranger": stranger}


def test_a_rep_takes_a_deal_from_a_new_customer_to_a_win(live_server, new_page, people):
    page = new_page()
    sign_in(page, "alice")
    deal = _new_customer_and_deal(page, people)
    _drag_from_lead_to_understand(page, deal, people)
    _log_a_call_and_win(page, deal, people)
    _who_finds_it(new_page, deal.pk)


def _new_customer_and_deal(page, people) -> Deal:
    # A new customer, through the form.
    page.goto("/customers/new/")
    page.fill("#id_name", "Harbor Lights Ltd")
    page.fill("#id_industry", "Logistics")
    page.fill("#id_need", "25000")
    page.get_by_role("button", name="Create customer").click()
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    assert "Harbor Lights Ltd" in page.locator("h1").inner_text()

    # A deal for it, through the form; the customer list only offers what the rep may see.
    page.goto("/deals/new/")
    page.select_option("#id_customer", label="Harbor Lights Ltd")
    page.fill("#id_title", "Harbor Lights - fleet tracking")
    page.fill("#id_amount", "18000")
    close = timezone.localdate() + datetime.timedelta(days=20)
    page.fill("#id_expected_close", close.isoformat())
    page.get_by_role("button", name="Create deal").click()
    page.wait_for_url(re.compile(r"/deals/\d+/$"))
    deal_id = int(re.search(r"/deals/(\d+)/$", page.url).group(1))
    deal = Deal.objects.get(pk=deal_id)
    assert (deal.owner, deal.customer.name, deal.stage.key) == (people["rep"], "Harbor Lights Ltd", "lead")
    return deal


def _drag_from_lead_to_understand(page, deal, people) -> None:
    deal_id = deal.pk
    # On the board: drag the card from lead to understand; the move is recorded and headers follow.
    page.goto("/pipeline/")
    card = page.locator(f"#board-cards-lead #deal-card-{deal_id}")
    assert card.is_visible()
    assert page.locator("#board-head-understand .board-count").inner_text() == "0"
    drag(page, card, page.locator("#board-cards-understand"))
    page.locator(f"#board-cards-understand #deal-card-{deal_id}").wait_for()
    page.wait_for_function(
        "() => document.querySelector('#board-head-understand .board-count').textContent === '1'"
    )
    assert page.locator("#board-head-lead .board-count").inner_text() == "0"
    assert page.locator("#board-alert").inner_text() == ""
    deal.refresh_from_db()
    assert deal.stage.key == "understand"
    move = StageChange.objects.filter(deal=deal).latest("changed_at", "pk")
    assert (move.from_stage.key, move.to_stage.key, move.changed_by) == ("lead", "understand", people["rep"])


def _log_a_call_and_win(page, deal, people) -> None:
    deal_id = deal.pk
    # The deal page: log a call, then mark the deal won.
    page.locator(f"#deal-card-{deal_id} .board-card-title").click()
    page.wait_for_url(f"**/deals/{deal_id}/")
    page.select_option("#act_kind", "call")
    page.fill("#act_subject", "Discovery call with the fleet manager")
    page.get_by_role("button", name="Save activity").click()
    page.get_by_text("Logged: Discovery call with the fleet manager").wait_for()
    call = Activity.objects.get(deal=deal)
    assert (call.kind, call.owner) == (Activity.Kind.CALL, people["rep"])

    page.get_by_role("button", name="Mark won").click()
    page.locator("#win-modal.show").wait_for()  # a win asks first
    page.get_by_role("button", name="Win the deal").click()
    page.locator("#deal-panel .stage-track li.current", has_text="Buy").wait_for()
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON
    record = SalesRecord.objects.get(deal=deal)
    assert (record.amount, record.owner, record.customer) == (deal.amount, people["rep"], deal.customer)


def _who_finds_it(new_page, deal_id: int) -> None:
    # Another team's rep gets a 404 on the deal's page.
    stranger = new_page()
    sign_in(stranger, "bob")
    response = stranger.goto(f"/deals/{deal_id}/")
    assert response.status == 404
    assert "Harbor Lights" not in stranger.content()

    # The rep's manager finds it in the team's deal list.
    manager = new_page()
    sign_in(manager, "boss")
    manager.goto("/deals/")
    row = manager.locator("#deal-table tr", has=manager.locator(f'a[href="/deals/{deal_id}/"]'))
    assert row.count() == 1
    assert "Harbor Lights - fleet tracking" in row.inner_text()
    assert "Alice Archer" in row.inner_text()


def test_a_refused_drop_puts_the_card_back_and_says_why(live_server, page, people):
    rep = people["rep"]
    deal = DealFactory(customer=CustomerFactory(owner=rep), title="Changed elsewhere")
    sign_in(page, "alice")
    page.goto("/pipeline/")
    # Someone loses the deal in another tab after the board was drawn.
    Deal.objects.get(pk=deal.pk).mark_lost(lost_reason(), note="Budget cut", by=rep)
    drag(page, page.locator(f"#deal-card-{deal.pk}"), page.locator("#board-cards-choose"))
    page.locator("#board-alert .alert").wait_for()
    assert "A lost deal cannot move between stages." in page.locator("#board-alert").inner_text()
    assert page.locator(f"#board-cards-lead #deal-card-{deal.pk}").count() == 1
    assert page.locator(f"#board-cards-choose #deal-card-{deal.pk}").count() == 0


def test_the_lost_zone_asks_for_a_reason_and_cancel_puts_the_card_back(live_server, page, people):
    rep = people["rep"]
    deal = DealFactory(customer=CustomerFactory(owner=rep), title="Going cold")
    sign_in(page, "alice")
    page.goto("/pipeline/")
    card = f"#deal-card-{deal.pk}"

    drag(page, page.locator(card), page.locator("#board-lost-zone"))
    page.locator("#lost-modal.show").wait_for()
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.locator("#lost-modal.show").wait_for(state="detached")
    page.locator(f"#board-cards-lead {card}").wait_for()

    drag(page, page.locator(card), page.locator("#board-lost-zone"))
    page.locator("#lost-modal.show").wait_for()
    page.get_by_role("button", name="Mark lost").click()
    assert page.locator("#lost-reason.is-invalid").is_visible()  # a reason is required
    page.select_option("#lost-reason", label="Other")
    page.get_by_role("button", name="Mark lost").click()
    assert page.locator("#lost-note.is-invalid").is_visible()  # "Other" needs a note
    page.fill("#lost-note", "Chose a cheaper supplier")
    page.get_by_role("button", name="Mark lost").click()
    page.locator(card).wait_for(state="detached")
    page.wait_for_function(
        "() => document.querySelector('#board-head-lead .board-count').textContent === '0'"
    )
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason, deal.lost_note) == (
        Deal.Status.LOST,
        lost_reason("Other"),
        "Chose a cheaper supplier",
    )


def test_a_long_column_loads_its_next_cards_when_scrolled_to_the_end(live_server, page, people):
    bulk_deals(people["rep"], 60)
    sign_in(page, "alice")
    page.goto("/pipeline/")
    cards = page.locator("#board-cards-lead .board-card")
    assert cards.count() == 50
    assert page.locator("#board-head-lead .board-count").inner_text() == "60"
    cards.nth(49).scroll_into_view_if_needed()  # brings the "load more" sentinel into view
    page.wait_for_function("() => document.querySelectorAll('#board-cards-lead .board-card').length === 60")
    assert page.locator("#board-more-lead button").count() == 0  # nothing left to load
    ids = cards.evaluate_all("cards => cards.map(c => c.id)")
    assert len(set(ids)) == 60
