"""Lost reasons from the managed list: the dashboard's lost-by-reason card, the deal filter, the
board's undo of a win, and the seeded list."""

import datetime
from collections import defaultdict
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from sales.filters.deals import DealFilterSet
from sales.metrics import Scope, lost_by_reason, visible_sources
from sales.models import Deal, LostReason, SalesRecord, Stage
from tests.factories import CustomerFactory, DealFactory, lost_reason
from tests.sales.test_metrics import at, make_deal

Q1 = Scope(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 3, 31))


def lose(deal: Deal, reason: str, when: datetime.datetime, note: str = "") -> Deal:
    deal.mark_lost(lost_reason(reason), note=note or "why", by=deal.owner, on=when.date(), at=when)
    return deal


@pytest.fixture
def losses(rep, other_rep, team, other_team):
    """Deals lost in and out of Q1, by ``rep`` (the manager's team) and ``other_rep`` (not)."""
    c = CustomerFactory(owner=rep, region="North")
    other = CustomerFactory(owner=other_rep)
    return [
        lose(make_deal(rep, c, "500", at(1, 2)), "Price too high", at(1, 20)),
        lose(make_deal(rep, c, "700", at(1, 2)), "Price too high", at(2, 3)),
        lose(make_deal(rep, c, "300", at(1, 2)), "Other", at(3, 30), note="Moved abroad"),
        lose(make_deal(rep, c, "900", at(1, 2)), "No budget", at(3, 31)),
        lose(make_deal(rep, c, "4000", at(1, 2)), "No budget", at(4, 1)),  # after the period
        lose(make_deal(other_rep, other, "8000", at(1, 2)), "Price too high", at(2, 1)),  # not seen
        make_deal(rep, c, "50", at(1, 2), [("buy", at(2, 2))]),  # won, not lost
    ]


def hand_count(deals, user_sees, scope: Scope) -> dict[str, tuple[int, D]]:
    counted: dict[str, list] = defaultdict(lambda: [0, D("0.00")])
    for deal in deals:
        deal.refresh_from_db()
        if deal.status != "lost" or not user_sees(deal) or not scope.start <= deal.closed_on <= scope.end:
            continue
        counted[deal.lost_reason.name][0] += 1
        counted[deal.lost_reason.name][1] += deal.amount
    return {name: (n, amount) for name, (n, amount) in counted.items()}


def test_lost_deals_by_reason_equal_a_hand_count(losses, manager, rep):
    rows = lost_by_reason(visible_sources(manager), Q1)
    expected = hand_count(losses, lambda d: d.owner_id == rep.pk, Q1)
    assert {r.name: (r.deals, r.amount) for r in rows} == expected
    assert expected == {
        "Price too high": (2, D("1200.00")),
        "Other": (1, D("300.00")),
        "No budget": (1, D("900.00")),
    }
    # Most deals first.
    assert rows[0].name == "Price too high"


def test_lost_deals_by_reason_follow_the_scope(losses, admin_user, rep):
    assert {r.name for r in lost_by_reason(visible_sources(admin_user), Q1)} == {
        "Price too high",
        "Other",
        "No budget",
    }
    everything = {r.name: r.deals for r in lost_by_reason(visible_sources(admin_user), Q1)}
    assert everything["Price too high"] == 3  # the other team's loss too, for an admin
    only_rep = Scope(start=Q1.start, end=Q1.end, owner_id=rep.pk, region="south")
    assert lost_by_reason(visible_sources(admin_user), only_rep) == ()


def test_an_empty_period_has_no_rows(db, manager, team):
    assert lost_by_reason(visible_sources(manager), Q1) == ()


def test_the_deal_list_filters_by_lost_reason_like_the_card_counts(losses, manager, rep):
    price = lost_reason("Price too high")
    data = {"lost_reason": str(price.pk), "closed_from": "2025-01-01", "closed_to": "2025-03-31"}
    filtered = DealFilterSet(data, Deal.objects.visible_to(manager)).qs
    row = next(r for r in lost_by_reason(visible_sources(manager), Q1) if r.reason_id == price.pk)
    assert filtered.count() == row.deals == 2


def test_the_dashboard_card_links_each_reason_to_its_deals(losses, manager_client):
    q1 = {"period": "custom", "start": "2025-01-01", "end": "2025-03-31"}
    response = manager_client.get(reverse("sales:dashboard"), q1)
    page = response.content.decode()
    assert "Lost deals by reason" in page
    rows = {r["name"]: r for r in response.context["lost_reasons"]}
    price = lost_reason("Price too high")
    assert f"lost_reason={price.pk}" in rows["Price too high"]["url"]
    assert "status=lost" in rows["Price too high"]["url"]
    listed = manager_client.get(rows["Price too high"]["url"])
    assert sorted(d.amount for d in listed.context["deals"]) == [D("500.00"), D("700.00")]
    assert "Price too high" in listed.content.decode()  # the filter's chip names the reason


def test_the_api_and_export_take_the_lost_reason_filter(losses, manager, manager_client):
    from rest_framework.test import APIClient

    other = lost_reason("Other")
    api = APIClient()
    api.force_authenticate(manager)
    rows = api.get("/api/deals/", {"lost_reason": other.pk}).data["results"]
    assert [(r["lost_reason_name"], r["lost_note"]) for r in rows] == [("Other", "Moved abroad")]
    export = manager_client.get(reverse("dataio:deal_export"), {"lost_reason": other.pk, "format": "csv"})
    assert "Moved abroad" in b"".join(export.streaming_content).decode("utf-8-sig")


def test_the_seeded_list_has_other_which_needs_a_note(db):
    other = LostReason.objects.fallback()
    assert (other.name, other.needs_note, other.active) == ("Other", True, True)
    assert LostReason.objects.active().filter(needs_note=False).count() >= 5
    assert all(r.local_name for r in LostReason.objects.all())


def test_a_reason_in_use_cannot_be_deleted(rep, team):
    from django.db.models import ProtectedError

    deal = DealFactory(owner=rep, customer__owner=rep)
    lose(deal, "Bad timing", at(1, 3))
    with pytest.raises(ProtectedError):
        lost_reason("Bad timing").delete()


# The board's undo of a win


def test_the_board_undoes_a_win_back_to_the_stage_it_came_from(rep, team, rep_client):
    deal = DealFactory(owner=rep, customer__owner=rep, stage="understand")
    response = rep_client.post(reverse("sales:board_move", args=[deal.pk]), {"stage": "buy"})
    assert response.status_code == 200
    deal.refresh_from_db()
    assert f'data-version="{deal.version}"' in response.content.decode()
    response = rep_client.post(
        reverse("sales:board_reopen", args=[deal.pk]), {"stage": "understand", "version": deal.version}
    )
    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.status, deal.stage.key) == ("open", "understand")
    assert not SalesRecord.objects.filter(deal=deal).in_force().exists()
    understand = next(c for c in response.context["columns"] if c.stage.key == "understand")
    assert understand.count == 1


def test_the_boards_undo_refuses_a_stale_version_and_an_open_deal(rep, team, rep_client):
    deal = DealFactory(owner=rep, customer__owner=rep, stage="understand")
    url = reverse("sales:board_reopen", args=[deal.pk])
    response = rep_client.post(url, {"stage": "understand", "version": deal.version})
    assert (response.status_code, "only a won or lost deal" in response.content.decode()) == (409, True)
    deal.win(by=rep)
    response = rep_client.post(url, {"stage": "understand", "version": deal.version - 1})
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert rep_client.post(url, {"stage": "buy", "version": deal.version}).status_code == 400
    assert Deal.objects.get(pk=deal.pk).status == "won"


def test_the_boards_undo_is_not_for_another_rep(rep, team, other_rep_client):
    deal = DealFactory(owner=rep, customer__owner=rep)
    deal.win(by=rep)
    url = reverse("sales:board_reopen", args=[deal.pk])
    assert other_rep_client.post(url, {"stage": "lead", "version": deal.version}).status_code == 404
    assert Stage.objects.get(pk=Deal.objects.get(pk=deal.pk).stage_id).key == "buy"


def test_the_time_a_lost_deal_spent_lost_is_no_stay_in_its_stage(rep, manager, team):
    from sales.metrics import time_in_stage

    customer = CustomerFactory(owner=rep)
    deal = make_deal(rep, customer, "100", at(1, 1), [("understand", at(1, 11))])
    lose(deal, "No budget", at(1, 21))  # 10 days in Understand
    deal.reopen(Stage.objects.get(key="understand"), by=rep, at=at(3, 1))  # lost for 39 days
    deal.move_to(Stage.objects.get(key="choose"), by=rep, at=at(3, 5))  # 4 more days in Understand
    stages = list(Stage.objects.all())
    times = {t.key: t for t in time_in_stage(visible_sources(manager), Q1, stages)}
    # Understand: stays of 10 days (to the loss) and 4 days (after the reopening), not the 39 lost.
    assert (times["understand"].stays, times["understand"].mean_days) == (2, D("7.0"))
    assert (times["lead"].stays, times["lead"].mean_days) == (1, D("10.0"))


@pytest.mark.parametrize("n", [5, 10])
def test_the_boards_undo_runs_a_fixed_number_of_queries(rep, team, rep_client, n, django_assert_num_queries):
    from tests.sales.test_board import bulk_deals

    bulk_deals(rep, n)
    bulk_deals(rep, n, stage_key="buy", status=Deal.Status.WON, closed_on=timezone.localdate())
    deal = DealFactory(customer=CustomerFactory(owner=rep), stage="understand")
    deal.win(by=rep)
    url = reverse("sales:board_reopen", args=[deal.pk])
    # 1 session, 2 user, 3 the deal, 4 the stage, 5 savepoint, 6 the deal's rollup figures before,
    # 7 the versioned update, 8 its history row, 9 the deal's last stage change, 10 the stage-change
    # row, 11 the sale in force, 12 the reversing entry, 13 its history row, 14 the sale's
    # reversed-on date, 15 its history row, 16 the rollup figures after, 17 the rollups'
    # increments, 18 release savepoint, 19-20 is_manager, 21 stages, 22 pipeline settings,
    # 23 learned-probability counts, 24 header aggregate.
    with django_assert_num_queries(24):
        response = rep_client.post(url, {"stage": "understand", "version": deal.version})
    assert response.status_code == 200


def test_chinese_readers_get_the_reasons_and_the_reopening_in_chinese(rep, team, rep_client):
    deal = DealFactory(owner=rep, customer__owner=rep, stage="choose")
    page = rep_client.get(reverse("sales:pipeline"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "价格太高" in page and "其他" in page and "确认赢得此商机？" in page
    deal.win(by=rep)
    page = rep_client.get(reverse("sales:deal_detail", args=[deal.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "重新打开商机" in page.content.decode()
