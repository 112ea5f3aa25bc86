"""The pipeline board: columns and their headers, cards, moves, the lost zone and lazy columns."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from sales.models import Deal, SalesRecord, Stage, StageChange
from sales.views.board import PAGE
from tests.factories import CustomerFactory, DealFactory, RepFactory, lost_reason

URL = reverse("sales:pipeline")
TODAY = timezone.localdate


def move_url(deal: Deal) -> str:
    return reverse("sales:board_move", args=[deal.pk])


def lost_url(deal: Deal) -> str:
    return reverse("sales:board_lost", args=[deal.pk])


def column(response, key: str):
    return next(c for c in response.context["columns"] if c.stage.key == key)


def card_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="deal-card-(\d+)"', html)]


def card_html(page: str, pk: int) -> str:
    return re.search(rf'<article id="deal-card-{pk}".*?</article>', page, re.S).group(0)


def bulk_deals(owner, n: int, stage_key: str = "lead", **fields) -> list[Deal]:
    """``n`` open deals in one insert; the board only reads deals, so no stage history is needed."""
    customer = CustomerFactory(owner=owner)
    stage = Stage.objects.get(key=stage_key)
    today = TODAY()
    deals = [
        Deal(
            customer=customer,
            owner=owner,
            title=f"Bulk {i}",
            amount=Decimal("100.00"),
            stage=stage,
            probability=stage.default_probability,
            opened_on=today,
            expected_close=today + datetime.timedelta(days=i % 40),
            **fields,
        )
        for i in range(n)
    ]
    return Deal.objects.bulk_create(deals)


@pytest.fixture
def book(rep, team):
    """The rep's deals in every column, a recent win, an old win and a lost deal."""
    customer = CustomerFactory(owner=rep, name="Acme Foods")
    today = TODAY()
    deals = {
        "lead_a": DealFactory(customer=customer, title="Lead A", amount=Decimal("1000.00"), stage="lead"),
        "lead_b": DealFactory(customer=customer, title="Lead B", amount=Decimal("3000.00"), stage="lead"),
        "choose": DealFactory(customer=customer, title="Choose C", amount=Decimal("2000.00"), stage="choose"),
        "won": DealFactory(customer=customer, title="Won lately", amount=Decimal("500.00"), stage="buy"),
        "old_win": DealFactory(
            customer=customer, title="Won long ago", amount=Decimal("700.00"), stage="buy"
        ),
        "lost": DealFactory(customer=customer, title="Lost one", amount=Decimal("900.00"), stage="lead"),
    }
    Deal.objects.filter(pk=deals["old_win"].pk).update(closed_on=today - datetime.timedelta(days=45))
    deals["lost"].mark_lost(lost_reason(), note="Too expensive", by=rep)
    return deals


def test_it_asks_anonymous_visitors_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_board_has_a_column_per_open_stage_and_one_for_recent_wins(rep_client):
    response = rep_client.get(URL)
    assert response.status_code == 200
    assert [c.stage.key for c in response.context["columns"]] == ["lead", "understand", "choose", "buy"]
    assert [c.won for c in response.context["columns"]] == [False, False, False, True]
    page = response.content.decode()
    assert "vendor/sortable/Sortable.min.js" in page
    assert 'id="board-lost-zone"' in page
    assert 'id="lost-modal"' in page


def test_the_headers_count_sum_and_weigh_the_deals_of_each_column(book, rep_client):
    response = rep_client.get(URL)
    lead, understand, choose, won = (column(response, k) for k in ("lead", "understand", "choose", "buy"))
    # Lead: 1000 + 3000 at 10 %; the lost deal left the column.
    assert (lead.count, lead.amount, lead.weighted) == (2, Decimal("4000.00"), Decimal("400.00"))
    assert (understand.count, understand.amount, understand.weighted) == (0, Decimal("0.00"), Decimal("0.00"))
    assert (choose.count, choose.amount, choose.weighted) == (1, Decimal("2000.00"), Decimal("1200.00"))
    # Won: only the deal closed within the last 30 days; a won deal is worth its full amount.
    assert (won.count, won.amount, won.weighted) == (1, Decimal("500.00"), Decimal("500.00"))
    page = response.content.decode()
    assert 'id="board-head-lead"' in page
    assert "4,000" in page and "1,200" in page


def test_a_won_deal_counts_in_full_even_with_a_lower_probability_kept_from_an_override(rep, rep_client):
    deal = DealFactory(customer=CustomerFactory(owner=rep), amount=Decimal("800.00"), stage="lead")
    deal.set_probability(Decimal("50"))
    deal.move_to(Stage.objects.get(key="buy"), by=rep)
    won = column(rep_client.get(URL), "buy")
    assert (won.count, won.amount, won.weighted) == (1, Decimal("800.00"), Decimal("800.00"))


def test_the_headers_come_from_one_grouped_query(book, rep_client, django_assert_num_queries):
    # session, user, is_manager (group, managed teams), stages, pipeline settings, the learned-
    # probability counts (over the stage-change ledger), ONE grouped header aggregate over the
    # deals, the first page of each of the four columns, and the lost zone's reasons.
    with django_assert_num_queries(13) as ctx:
        rep_client.get(URL)
    aggregates = [
        q["sql"]
        for q in ctx.captured_queries
        if "COUNT(" in q["sql"].upper() and "stagechange" not in q["sql"].lower()
    ]
    assert len(aggregates) == 1
    assert "GROUP BY" in aggregates[0].upper()


def test_cards_show_title_customer_amount_expected_close_and_owner(book, rep, rep_client):
    late = DealFactory(
        customer=CustomerFactory(owner=rep),
        title="Late deal",
        stage="understand",
        expected_close=TODAY() - datetime.timedelta(days=3),
    )
    page = rep_client.get(URL).content.decode()
    card = card_html(page, book["lead_b"].pk)
    assert "Lead B" in card
    assert "Acme Foods" in card
    assert "3,000" in card
    assert rep.get_full_name() in card
    assert f'href="/deals/{book["lead_b"].pk}/"' in card
    assert "overdue" not in card
    late_card = card_html(page, late.pk)
    assert "overdue" in late_card and "text-danger" in late_card


def test_lost_and_long_won_deals_are_not_on_the_board(book, rep_client):
    ids = card_ids(rep_client.get(URL).content.decode())
    assert book["lead_a"].pk in ids and book["won"].pk in ids
    assert book["lost"].pk not in ids
    assert book["old_win"].pk not in ids


def test_open_columns_list_what_closes_first_and_undated_deals_last(rep, rep_client):
    customer = CustomerFactory(owner=rep)
    today = TODAY()
    later = DealFactory(customer=customer, expected_close=today + datetime.timedelta(days=9))
    undated = DealFactory(customer=customer, expected_close=None)
    sooner = DealFactory(customer=customer, expected_close=today + datetime.timedelta(days=2))
    lead = column(rep_client.get(URL), "lead")
    assert [d.pk for d in lead.cards] == [sooner.pk, later.pk, undated.pk]


def test_a_rep_sees_only_their_own_deals_and_cannot_pick_another_rep(book, rep_client, other_rep, other_team):
    theirs = DealFactory(customer=CustomerFactory(owner=other_rep), title="Not yours")
    response = rep_client.get(URL, {"owner": other_rep.pk})
    assert response.context["owner_choices"] is None
    assert 'id="board-owner"' not in response.content.decode()
    ids = card_ids(response.content.decode())
    assert theirs.pk not in ids
    assert book["lead_a"].pk in ids  # the owner parameter is ignored for a rep


def test_a_manager_filters_the_board_by_one_of_the_reps_they_may_see(
    book, manager, manager_client, team, other_rep, other_team
):
    teammate = RepFactory(username="teammate")
    team.members.add(teammate)
    theirs = DealFactory(customer=CustomerFactory(owner=teammate), title="Teammate's")
    response = manager_client.get(URL)
    choices = dict(response.context["owner_choices"])
    assert set(choices) == {manager.pk, book["lead_a"].owner_id, teammate.pk}
    assert other_rep.pk not in choices
    ids = card_ids(response.content.decode())
    assert theirs.pk in ids and book["lead_a"].pk in ids

    filtered = manager_client.get(URL, {"owner": teammate.pk})
    assert filtered.context["owner_id"] == teammate.pk
    assert card_ids(filtered.content.decode()) == [theirs.pk]
    assert column(filtered, "lead").count == 1


def test_a_manager_cannot_filter_on_a_rep_outside_their_teams(manager_client, other_rep, other_team):
    DealFactory(customer=CustomerFactory(owner=other_rep))
    response = manager_client.get(URL, {"owner": other_rep.pk})
    assert response.context["owner_id"] is None
    assert card_ids(response.content.decode()) == []


def test_moving_a_card_records_a_stage_change_and_refreshes_the_headers(book, rep, rep_client):
    deal = book["lead_a"]
    response = rep_client.post(move_url(deal), {"stage": "understand"})
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage.key == "understand"
    assert deal.probability == Decimal("25")
    change = StageChange.objects.filter(deal=deal).latest("changed_at", "pk")
    assert (change.from_stage.key, change.to_stage.key, change.changed_by) == ("lead", "understand", rep)
    page = response.content.decode()
    # The refreshed card, and every header swapped out of band with the new figures.
    assert f'id="deal-card-{deal.pk}"' in page
    for key in ("lead", "understand", "choose", "buy"):
        assert re.search(rf'id="board-head-{key}" class="board-head" hx-swap-oob="true"', page)
    lead = next(c for c in response.context["columns"] if c.stage.key == "lead")
    understand = next(c for c in response.context["columns"] if c.stage.key == "understand")
    assert (lead.count, lead.amount) == (1, Decimal("3000.00"))
    assert (understand.count, understand.amount, understand.weighted) == (
        1,
        Decimal("1000.00"),
        Decimal("250.00"),
    )
    assert 'id="board-totals"' in page


def test_moving_a_card_to_the_won_column_wins_the_deal(book, rep_client):
    deal = book["choose"]
    response = rep_client.post(move_url(deal), {"stage": "buy"})
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON
    assert deal.closed_on == TODAY()
    assert SalesRecord.objects.filter(deal=deal, amount=Decimal("2000.00")).exists()
    won = next(c for c in response.context["columns"] if c.stage.key == "buy")
    assert (won.count, won.amount) == (2, Decimal("2500.00"))
    assert "board-card-won" in response.content.decode()


def test_a_refused_move_answers_409_with_the_message_and_changes_nothing(book, rep_client):
    deal = book["won"]
    before = StageChange.objects.count()
    response = rep_client.post(move_url(deal), {"stage": "lead"})
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/plain")
    assert "won deal cannot go back" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage.key == "buy"
    assert StageChange.objects.count() == before


def test_dropping_a_won_deal_on_the_won_column_again_is_refused_like_other_moves(book, rep_client):
    deal = book["won"]
    before = (StageChange.objects.count(), SalesRecord.objects.count())
    response = rep_client.post(move_url(deal), {"stage": "buy"})
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/plain")
    assert "Only an open deal can be won." in response.content.decode()
    assert (StageChange.objects.count(), SalesRecord.objects.count()) == before


@pytest.mark.parametrize("stage", ["", "nowhere", "use"])
def test_a_move_to_a_stage_that_is_not_on_the_board_is_refused(book, rep_client, stage):
    response = rep_client.post(move_url(book["lead_a"]), {"stage": stage})
    assert response.status_code == 400
    book["lead_a"].refresh_from_db()
    assert book["lead_a"].stage.key == "lead"


def test_marking_a_deal_lost_needs_a_reason(book, rep_client):
    deal = book["lead_a"]
    response = rep_client.post(lost_url(deal), {"reason": ""})
    assert response.status_code == 400
    assert "Say why the deal was lost." in response.content.decode()
    response = rep_client.post(lost_url(deal), {"reason": "Chose a competitor"})
    assert response.status_code == 400
    assert "Choose one of the reasons in the list." in response.content.decode()
    response = rep_client.post(lost_url(deal), {"reason": lost_reason("Other").pk, "note": " "})
    assert response.status_code == 400
    assert "“Other” needs a note that says more." in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN


def test_an_inactive_reason_is_not_offered_nor_taken(book, rep_client):
    retired = lost_reason("Bad timing")
    retired.active = False
    retired.save()
    assert f'value="{retired.pk}"' not in rep_client.get(URL).content.decode()
    assert rep_client.post(lost_url(book["lead_a"]), {"reason": retired.pk}).status_code == 400


def test_marking_a_deal_lost_records_the_reason_and_takes_it_off_the_board(book, rep, rep_client):
    deal = book["lead_a"]
    reason = lost_reason("Chose a competitor")
    response = rep_client.post(lost_url(deal), {"reason": reason.pk, "note": " Went with Brewtech "})
    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason, deal.lost_note) == (Deal.Status.LOST, reason, "Went with Brewtech")
    change = StageChange.objects.filter(deal=deal).latest("changed_at", "pk")
    assert (change.status, change.changed_by) == (Deal.Status.LOST, rep)
    page = response.content.decode()
    assert f'id="deal-card-{deal.pk}"' not in page
    lead = next(c for c in response.context["columns"] if c.stage.key == "lead")
    assert (lead.count, lead.amount) == (1, Decimal("3000.00"))


def test_the_lost_zone_takes_a_note_as_long_as_the_deal_page_does(book, rep_client):
    deal = book["lead_a"]
    other = lost_reason("Other").pk
    assert rep_client.post(lost_url(deal), {"reason": other, "note": "x" * 2001}).status_code == 400
    response = rep_client.post(lost_url(deal), {"reason": other, "note": "x" * 2000})
    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.status, len(deal.lost_note)) == (Deal.Status.LOST, 2000)


def test_a_won_deal_cannot_be_dropped_on_the_lost_zone(book, rep_client):
    response = rep_client.post(lost_url(book["won"]), {"reason": lost_reason("No decision").pk})
    assert response.status_code == 409
    assert "Only an open deal can be marked lost." in response.content.decode()


@pytest.mark.parametrize("url_name", ["sales:board_move", "sales:board_lost"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_reps_deal_answers_404(rep, other_rep_client, url_name, method):
    deal = DealFactory(customer=CustomerFactory(owner=rep))
    url = reverse(url_name, args=[deal.pk])
    response = getattr(other_rep_client, method)(url, {"stage": "understand", "reason": "x"})
    assert response.status_code == 404
    deal.refresh_from_db()
    assert (deal.stage.key, deal.status) == ("lead", Deal.Status.OPEN)


@pytest.mark.parametrize(
    ("url_name", "method"),
    [("sales:board_move", "post"), ("sales:board_lost", "post"), ("sales:deal_detail", "get")],
)
def test_a_deal_id_beyond_64_bits_is_not_found(rep_client, url_name, method):
    # The id cannot exist; the database must answer "none" rather than overflow.
    url = reverse(url_name, args=[2**63])
    response = getattr(rep_client, method)(url, {"stage": "understand", "reason": "x"})
    assert response.status_code == 404


def test_the_move_and_lost_endpoints_only_take_posts(book, rep_client):
    assert rep_client.get(move_url(book["lead_a"])).status_code == 405
    assert rep_client.get(lost_url(book["lead_a"])).status_code == 405


def test_a_column_renders_its_first_page_and_a_link_to_the_next(rep, rep_client):
    deals = bulk_deals(rep, PAGE + 5)
    response = rep_client.get(URL)
    lead = column(response, "lead")
    assert lead.count == PAGE + 5
    assert len(lead.cards) == PAGE
    assert lead.more
    page = response.content.decode()
    assert len(card_ids(page)) == PAGE
    assert reverse("sales:board_column", args=["lead"]) in page
    assert 'hx-trigger="intersect once, click"' in page

    rest = rep_client.get(reverse("sales:board_column", args=["lead"]) + "?" + lead.more)
    assert rest.status_code == 200
    shown = [d.pk for d in lead.cards] + card_ids(rest.content.decode())
    assert sorted(shown) == sorted(d.pk for d in deals)
    # The last page replaces the sentinel with an empty one.
    assert re.search(
        r'id="board-more-lead" class="board-more" hx-swap-oob="true"></div>', rest.content.decode()
    )


def test_pages_follow_the_column_order_across_the_page_break(rep, rep_client):
    bulk_deals(rep, PAGE * 2 + 3)
    DealFactory(customer=CustomerFactory(owner=rep), expected_close=None, title="Undated")
    expected = list(
        Deal.objects.filter(owner=rep, status="open")
        .order_by("expected_close", "pk")
        .values_list("pk", flat=True)
    )
    undated = [pk for pk in expected if Deal.objects.get(pk=pk).expected_close is None]
    expected = [pk for pk in expected if pk not in undated] + undated
    lead = column(rep_client.get(URL), "lead")
    shown, more = [d.pk for d in lead.cards], lead.more
    while more:
        response = rep_client.get(reverse("sales:board_column", args=["lead"]) + "?" + more)
        shown += card_ids(response.content.decode())
        more = response.context["column"].more
    assert shown == expected


def test_the_won_column_pages_from_the_latest_win(rep, rep_client):
    today = TODAY()
    deals = bulk_deals(rep, PAGE + 2, stage_key="buy", status=Deal.Status.WON, closed_on=today)
    for i, deal in enumerate(deals):
        Deal.objects.filter(pk=deal.pk).update(closed_on=today - datetime.timedelta(days=i % 20))
    won = column(rep_client.get(URL), "buy")
    assert won.count == PAGE + 2 and len(won.cards) == PAGE
    closed = [d.closed_on for d in won.cards]
    assert closed == sorted(closed, reverse=True)
    rest = rep_client.get(reverse("sales:board_column", args=["buy"]) + "?" + won.more)
    assert len(card_ids(rest.content.decode())) == 2


def test_a_manager_pages_a_filtered_column(rep, manager_client):
    bulk_deals(rep, PAGE + 1)
    bulk_deals(RepFactory(username="stranger"), 3)
    response = manager_client.get(URL, {"owner": rep.pk})
    lead = column(response, "lead")
    assert f"owner={rep.pk}" in lead.more
    rest = manager_client.get(reverse("sales:board_column", args=["lead"]) + "?" + lead.more)
    assert len(card_ids(rest.content.decode())) == 1


def test_a_column_of_an_unknown_or_after_sale_stage_is_not_found(rep_client):
    assert rep_client.get(reverse("sales:board_column", args=["nowhere"])).status_code == 404
    assert rep_client.get(reverse("sales:board_column", args=["use"])).status_code == 404


@pytest.mark.parametrize(
    "after, after_pk",
    [("not-a-date", "x"), ("2025-02-30", "5"), ("", "7"), ("2025-01-01", str(2**64)), ("none", "-1")],
)
def test_bad_paging_parameters_give_the_first_page(rep, rep_client, after, after_pk):
    bulk_deals(rep, 3)
    url = reverse("sales:board_column", args=["lead"])
    response = rep_client.get(url, {"after": after, "after_pk": after_pk})
    assert response.status_code == 200
    assert len(card_ids(response.content.decode())) == 3


@pytest.mark.parametrize("key", ["lead", "buy"])
@pytest.mark.parametrize("after", ["0001-01-01", "9999-12-31"])
def test_paging_from_the_ends_of_the_calendar_works(rep, rep_client, key, after):
    response = rep_client.get(reverse("sales:board_column", args=[key]), {"after": after, "after_pk": "1"})
    assert response.status_code == 200


@pytest.mark.parametrize("n", [PAGE + 5, 2 * (PAGE + 5)])
def test_the_board_runs_a_fixed_number_of_queries_for_a_rep(rep, rep_client, n, django_assert_num_queries):
    bulk_deals(rep, n)
    bulk_deals(rep, n, stage_key="choose")
    bulk_deals(rep, n, stage_key="buy", status=Deal.Status.WON, closed_on=TODAY())
    # 1 session, 2 user, 3 is_manager: group, 4 is_manager: managed teams, 5 stages,
    # 6 pipeline settings, 7 learned-probability counts, 8 the grouped header aggregate,
    # 9-12 the first page of each column (lead, understand, choose, won), 13 the active
    # lost reasons.
    with django_assert_num_queries(13):
        response = rep_client.get(URL)
    assert len(card_ids(response.content.decode())) == PAGE * 3


@pytest.mark.parametrize("n", [PAGE + 5, 2 * (PAGE + 5)])
def test_the_board_runs_a_fixed_number_of_queries_for_a_manager(
    rep, team, manager_client, n, django_assert_num_queries
):
    for i in range(3):
        member = RepFactory(username=f"member{i}")
        team.members.add(member)
        bulk_deals(member, n // 3)
    bulk_deals(rep, n)
    # 1 session, 2 user, 3 is_manager: group, 4 owner choices, 5 stages, 6 pipeline settings,
    # 7 learned-probability counts, 8 the grouped header aggregate, 9-12 the first page of each
    # column, 13 the active lost reasons.
    with django_assert_num_queries(13):
        manager_client.get(URL)


@pytest.mark.parametrize("n", [PAGE + 5, 3 * PAGE])
def test_the_next_page_of_a_column_runs_a_fixed_number_of_queries(
    rep, rep_client, n, django_assert_num_queries
):
    bulk_deals(rep, n)
    url = reverse("sales:board_column", args=["lead"])
    # 1 session, 2 user, 3 the stage, 4 is_manager: group, 5 is_manager: managed teams, 6 the page.
    with django_assert_num_queries(6):
        response = rep_client.get(url)
    assert len(card_ids(response.content.decode())) == PAGE


@pytest.mark.parametrize("n", [5, 10])
def test_a_move_runs_a_fixed_number_of_queries(rep, rep_client, n, django_assert_num_queries):
    bulk_deals(rep, n)
    deal = DealFactory(customer=CustomerFactory(owner=rep))
    # 1 session, 2 user, 3 the deal, 4 the target stage, 5 savepoint, 6 the deal's rollup figures
    # before, 7 the versioned update, 8 its change-history row, 9 the deal's last stage change
    # (the stay this move ends), 10 the stage-change row, 11 the deal's rollup figures after,
    # 12 the rollups' increments, 13 release savepoint, 14-15 is_manager, 16 stages, 17 pipeline
    # settings, 18 learned-probability counts, 19 header aggregate.
    with django_assert_num_queries(19):
        response = rep_client.post(move_url(deal), {"stage": "understand"})
    assert response.status_code == 200


@pytest.mark.parametrize("owner", ["abc", "-3", "0", str(2**64)])
def test_a_manager_asking_for_a_nonsense_rep_gets_the_whole_team(book, manager_client, owner):
    response = manager_client.get(URL, {"owner": owner})
    assert response.status_code == 200
    assert response.context["owner_id"] is None
    assert column(response, "lead").count == 2


@pytest.mark.parametrize("url_name", ["sales:board_move", "sales:board_lost"])
def test_an_id_beyond_the_databases_integers_is_not_found(rep_client, url_name):
    response = rep_client.post(reverse(url_name, args=[2**64]), {"stage": "lead", "reason": "x"})
    assert response.status_code == 404


def test_a_stage_that_is_not_a_key_is_refused_not_a_server_error(rep_client, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    response = rep_client.post(reverse("sales:board_move", args=[deal.pk]), {"stage": "lead\x00"})
    assert response.status_code == 400
    assert deal.stage_changes.count() == 1
