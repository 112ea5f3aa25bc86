"""Decisions that can be taken back: a win on the board asks first and offers an undo; a won deal is
reopened from its page, its sale reversed, the dashboard's won revenue back, every step in its history."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from sales.models import Deal, SalesRecord, StageChange
from tests.browser.conftest import sign_in
from tests.browser.test_front_office import drag
from tests.factories import CustomerFactory, DealFactory, ManagerFactory, RepFactory, TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def rep(db):
    rep = RepFactory(username="alice", first_name="Alice", last_name="Archer")
    TeamFactory(name="North", manager=ManagerFactory(username="boss"), members=[rep])
    return rep


def sale_total(deal: Deal) -> Decimal:
    return SalesRecord.objects.filter(deal=deal).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


def won_revenue(page) -> str:
    page.goto("/dashboard/?period=month")
    card = page.locator(".card-metric", has=page.get_by_text("Won revenue", exact=True))
    return card.locator(".value").inner_text().strip()


def test_a_win_on_the_board_asks_first_and_can_be_undone(live_server, page, rep):
    deal = DealFactory(
        customer=CustomerFactory(owner=rep),
        title="Fleet tracking",
        stage="understand",
        amount=Decimal("5000"),
    )
    sign_in(page, "alice")
    page.goto("/pipeline/")
    card = f"#deal-card-{deal.pk}"

    # A drop on the won column asks; Escape says no and puts the card back.
    drag(page, page.locator(card), page.locator("#board-cards-buy"))
    page.locator("#win-modal.show").wait_for()
    assert "Fleet tracking" in page.locator("#win-deal-title").inner_text()
    page.wait_for_function("() => document.activeElement.id === 'win-confirm'")  # the keyboard is on the yes
    page.keyboard.press("Escape")
    page.locator("#win-modal.show").wait_for(state="detached")
    page.locator(f"#board-cards-understand {card}").wait_for()
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.OPEN

    # Again, and Enter says yes: the deal is won, and the undo is offered.
    drag(page, page.locator(card), page.locator("#board-cards-buy"))
    page.locator("#win-modal.show").wait_for()
    page.wait_for_function("() => document.activeElement.id === 'win-confirm'")
    page.keyboard.press("Enter")
    page.locator(f"#board-cards-buy {card}.board-card-won").wait_for()
    page.locator("#undo-toast.show").wait_for()
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON
    assert sale_total(deal) == Decimal("5000.00")

    # Undo: back in Understand, and no sale stands.
    page.get_by_role("button", name="Undo").click()
    page.locator(f"#board-cards-understand {card}").wait_for()
    page.get_by_text("Undone: the deal is back in its stage").wait_for()
    page.wait_for_function(
        "() => document.querySelector('#board-head-understand .board-count').textContent === '1'"
    )
    deal.refresh_from_db()
    assert (deal.status, deal.stage.key) == (Deal.Status.OPEN, "understand")
    assert not SalesRecord.objects.filter(deal=deal).in_force().exists()
    assert sale_total(deal) == Decimal("0.00")
    steps = list(
        StageChange.objects.filter(deal=deal).values_list("from_stage__key", "to_stage__key", "status")
    )
    assert steps[-2:] == [("understand", "buy", "won"), ("buy", "understand", "open")]


def test_a_won_deal_is_reopened_from_its_page_and_the_period_gives_the_revenue_back(live_server, page, rep):
    DealFactory(customer=CustomerFactory(owner=rep), title="Already won", amount=Decimal("1000")).win(by=rep)
    deal = DealFactory(
        customer=CustomerFactory(owner=rep), title="Cold storage", stage="choose", amount=Decimal("7000")
    )
    sign_in(page, "alice")
    assert won_revenue(page) == "$1,000.00"

    # Winning from the deal page asks first, then offers an undo (left alone here).
    page.goto(f"/deals/{deal.pk}/")
    page.get_by_role("button", name="Mark won").click()
    page.locator("#win-modal.show").wait_for()
    page.get_by_role("button", name="Win the deal").click()
    page.locator("#deal-panel .stage-track li.current", has_text="Buy").wait_for()
    page.locator("#undo-toast").wait_for()
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON
    sale = SalesRecord.objects.get(deal=deal)
    assert won_revenue(page) == "$8,000.00"

    # Reopen it from its page, back to Choose, with a note.
    page.goto(f"/deals/{deal.pk}/")
    page.select_option("#reopen_stage", "choose")
    page.fill("#reopen_note", "Signed by the wrong site")
    page.get_by_role("button", name="Reopen", exact=True).click()
    page.get_by_text("Reopened in Choose; its sale is reversed.").wait_for()
    deal.refresh_from_db()
    assert (deal.status, deal.stage.key, deal.closed_on) == (Deal.Status.OPEN, "choose", None)
    reversal = SalesRecord.objects.reversals().get(deal=deal)
    assert (reversal.reverses_id, reversal.amount, reversal.sold_on) == (
        sale.pk,
        -sale.amount,
        timezone.localdate(),
    )
    assert SalesRecord.objects.get(pk=sale.pk).amount == Decimal("7000.00")  # the sale stays as booked

    # The deal's history shows each step: the timeline and the change history.
    timeline = page.locator(".timeline").inner_text()
    assert "Reopened" in timeline and "Signed by the wrong site" in timeline
    assert "Won" in timeline
    history = page.locator("#change-history").inner_text()
    assert "Open" in history and "Won" in history
    statuses = list(StageChange.objects.filter(deal=deal).values_list("status", flat=True))
    assert statuses[-2:] == ["won", "open"]

    # The won revenue of the period goes back.
    assert won_revenue(page) == "$1,000.00"


def test_choosing_a_winning_stage_in_a_leads_move_list_asks_first(live_server, page, rep):
    deal = DealFactory(customer=CustomerFactory(owner=rep), title="Kiosk roll-out")
    sign_in(page, "alice")
    page.goto(f"/deals/{deal.pk}/")

    # Moving to an open stage does not ask.
    page.select_option("#move-stage", "understand")
    page.get_by_role("button", name="Move", exact=True).click()
    page.get_by_text("Moved to Understand.").wait_for()
    assert not page.locator("#win-modal.show").count()

    # "Use" wins the deal: the dialog asks, and Cancel leaves the deal open.
    page.select_option("#move-stage", "use")
    page.get_by_role("button", name="Move", exact=True).click()
    page.locator("#win-modal.show").wait_for()
    page.get_by_role("button", name="Cancel").click()
    page.locator("#win-modal.show").wait_for(state="detached")
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.OPEN

    page.get_by_role("button", name="Move", exact=True).click()
    page.locator("#win-modal.show").wait_for()
    page.get_by_role("button", name="Win the deal").click()
    page.locator("#deal-panel .stage-track li.current", has_text="Use").wait_for()
    deal.refresh_from_db()
    assert (deal.status, deal.stage.key) == (Deal.Status.WON, "use")

    # The undo puts it back where it came from, with its sale reversed.
    page.get_by_role("button", name="Undo").click()
    page.get_by_text("Reopened in Understand; its sale is reversed.").wait_for()
    deal.refresh_from_db()
    assert (deal.status, deal.stage.key) == (Deal.Status.OPEN, "understand")
    assert sale_total(deal) == Decimal("0.00")
