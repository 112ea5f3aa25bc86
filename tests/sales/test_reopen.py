"""Reopening won and lost deals: the verb, its reversing entry, who may, and the deal page."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from history.models import ChangeLog
from sales.actions import open_deal
from sales.metrics import Scope, deal_summary, indicators_for, visible_sources
from sales.models import Deal, DealError, SalesRecord, Stage, StageChange, StaleEdit
from tests.dataio.imports_helpers import DEALS_MAPPING, FIXTURES
from tests.factories import CustomerFactory, DealFactory, ManagerFactory, RepFactory, lost_reason

HTMX = {"HX-Request": "true"}


def stage(key: str) -> Stage:
    return Stage.objects.get(key=key)


def last_month_at_noon() -> datetime.datetime:
    first = timezone.localdate().replace(day=1)
    day = first - datetime.timedelta(days=10)
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone())


def month_of(day: datetime.date) -> Scope:
    start = day.replace(day=1)
    end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    return Scope(start=start, end=end)


@pytest.fixture
def won(rep, team):
    """A deal of ``rep`` won last month from Choose, for 2,500."""
    won_at = last_month_at_noon()
    opened_at = won_at - datetime.timedelta(days=20)
    deal = Deal(
        customer=CustomerFactory(owner=rep),
        owner=rep,
        title="Espresso machines",
        amount=Decimal("2500.00"),
        stage=stage("choose"),
        opened_on=opened_at.date(),
    )
    open_deal(deal, by=rep, at=opened_at)
    deal.move_to(stage("buy"), by=rep, at=won_at)
    return Deal.objects.get(pk=deal.pk)


def test_reopening_a_won_deal_reverses_its_sale_with_one_entry_dated_today(won, rep):
    sale = won.sales_records.get()
    won.reopen(stage("choose"), by=rep)
    won.refresh_from_db()
    assert (won.status, won.stage.key, won.closed_on) == ("open", "choose", None)
    assert won.probability == stage("choose").default_probability
    records = list(SalesRecord.objects.filter(deal=won).order_by("pk"))
    assert len(records) == 2
    original, reversal = records
    assert original.pk == sale.pk  # the sale is kept, as booked
    assert (original.amount, original.sold_on) == (sale.amount, sale.sold_on)
    assert original.reversed_on == timezone.localdate()
    assert (reversal.reverses, reversal.amount, reversal.sold_on) == (
        original,
        -sale.amount,
        timezone.localdate(),
    )
    assert (reversal.customer_id, reversal.owner_id) == (sale.customer_id, sale.owner_id)
    assert not SalesRecord.objects.filter(deal=won).in_force().exists()


def test_the_period_the_sale_was_booked_in_still_adds_up_and_today_shows_the_reversal(won, rep):
    booked = won.closed_on
    won.reopen(stage("choose"), by=rep)
    in_booked_month = month_of(booked)
    booked_sum = SalesRecord.objects.sold_between(in_booked_month.start, in_booked_month.end).aggregate(
        s=Sum("amount")
    )["s"]
    assert booked_sum == Decimal("2500.00")
    this_month = month_of(timezone.localdate())
    today_sum = SalesRecord.objects.sold_between(this_month.start, this_month.end).aggregate(s=Sum("amount"))
    assert today_sum["s"] == Decimal("-2500.00")
    assert SalesRecord.objects.filter(deal=won).aggregate(s=Sum("amount"))["s"] == Decimal("0.00")


def test_a_reopened_deal_counts_as_open_in_the_won_figures_and_the_sales_mean_nets_the_reversal(
    won, rep, manager
):
    sources = visible_sources(manager)
    booked = month_of(won.closed_on)
    assert deal_summary(sources, booked).won_revenue == Decimal("2500.00")
    won.reopen(stage("choose"), by=rep)
    summary = deal_summary(sources, booked)
    assert (summary.won_revenue, summary.deals_won) == (Decimal("0.00"), 0)
    assert deal_summary(sources, month_of(timezone.localdate())).open_amount == Decimal("2500.00")
    # E keeps the sale in the month it was booked in; this month nets it to no sale at all.
    kept = indicators_for(sources, booked, None)
    assert (kept.records, kept.indicators.execution) == (1, Decimal("2500.00"))
    netted = indicators_for(sources, month_of(timezone.localdate()), None)
    assert (netted.records, netted.indicators.execution) == (0, None)


def test_reopening_writes_one_stage_change_and_its_history(won, rep):
    before = StageChange.objects.filter(deal=won).count()
    change = won.reopen(stage("understand"), by=rep, note="  The buyer came back  ")
    rows = StageChange.objects.filter(deal=won)
    assert rows.count() == before + 1
    assert (change.from_stage.key, change.to_stage.key, change.status) == ("buy", "understand", "open")
    assert (change.changed_by, change.note) == (rep, "The buyer came back")
    history = ChangeLog.objects.for_object(won).filter(action="updated").latest("pk")
    assert history.changed_by == rep
    assert history.changes["status"] == ["won", "open"]
    assert history.changes["closed_on"][1] == ""
    reversal = SalesRecord.objects.reversals().get(deal=won)
    assert ChangeLog.objects.for_object(reversal).get().changed_by == rep


def test_a_stale_reopening_is_refused_and_writes_nothing(won, rep):
    seen = won.version
    Deal.objects.get(pk=won.pk).apply_edit({"title": "Renamed"}, version=seen)
    won.version = seen
    with pytest.raises(StaleEdit):
        won.reopen(stage("choose"), by=rep)
    fresh = Deal.objects.get(pk=won.pk)
    assert fresh.status == "won"
    assert SalesRecord.objects.filter(deal=won).count() == 1
    assert not SalesRecord.objects.reversals().exists()


def test_only_a_closed_deal_is_reopened_and_only_in_an_open_stage(won, rep):
    with pytest.raises(DealError, match="open stage"):
        won.reopen(stage("use"), by=rep)
    won.reopen(stage("lead"), by=rep)
    with pytest.raises(DealError, match="open already"):
        won.reopen(stage("choose"), by=rep)


def test_reopening_a_lost_deal_clears_its_reason_and_touches_no_sale(rep, team):
    deal = DealFactory(owner=rep, customer__owner=rep, stage="understand")
    deal.mark_lost(lost_reason("No budget"), by=rep)
    deal.reopen(stage("understand"), by=rep)
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason, deal.lost_note, deal.closed_on) == ("open", None, "", None)
    assert not SalesRecord.objects.filter(deal=deal).exists()
    last = StageChange.objects.filter(deal=deal).last()
    assert (last.from_stage.key, last.to_stage.key, last.status) == ("understand", "understand", "open")


def test_a_deal_won_again_gets_a_new_sale_and_only_one_sale_stands(won, rep):
    won.reopen(stage("choose"), by=rep)
    won.move_to(stage("buy"), by=rep)
    records = SalesRecord.objects.filter(deal=won)
    assert records.count() == 3
    assert records.in_force().count() == 1
    assert records.aggregate(s=Sum("amount"))["s"] == Decimal("2500.00")
    standing = records.in_force().get()
    with pytest.raises(IntegrityError), transaction.atomic():
        SalesRecord.objects.create(
            deal=won, customer=standing.customer, owner=standing.owner, amount=Decimal("1.00")
        )


@pytest.mark.parametrize("who", ["owner", "manager", "co_manager", "admin"])
def test_the_owner_their_managers_and_admins_may_reopen(won, rep, team, admin_user, who):
    co_manager = ManagerFactory(username="co")
    team.managers.add(co_manager)
    user = {"owner": rep, "manager": team.manager, "co_manager": co_manager, "admin": admin_user}[who]
    assert won.may_reopen(user)
    won.reopen(stage("choose"), by=user)
    assert StageChange.objects.filter(deal=won).last().changed_by == user


def test_a_teammate_or_another_teams_manager_may_not_reopen(won, rep, team, other_team):
    teammate = RepFactory(username="teammate")
    team.members.add(teammate)
    for user in (teammate, other_team.manager):
        assert not won.may_reopen(user)
        with pytest.raises(PermissionDenied):
            won.reopen(stage("choose"), by=user)
    assert Deal.objects.get(pk=won.pk).status == "won"


# The deal page


def url(name: str, deal) -> str:
    return reverse(f"sales:{name}", args=[deal.pk])


def test_the_deal_page_offers_a_reopening_to_the_stage_the_deal_came_from(won, rep_client):
    page = rep_client.get(url("deal_detail", won)).content.decode()
    assert 'id="reopen_stage"' in page
    assert f'<option value="choose" selected>{stage("choose").order}. Choose</option>' in page
    assert "reversed by an entry dated today" in page


def test_reopening_from_the_deal_page_shows_it_in_the_timeline_and_the_history(won, rep_client):
    response = rep_client.post(
        url("deal_reopen", won),
        {"stage": "understand", "version": won.version, "note": "Budget found"},
        headers=HTMX,
    )
    page = response.content.decode()
    assert "Reopened in Understand; its sale is reversed." in page
    assert "Reopened" in page and "Budget found" in page
    assert response.context["timeline"][0].item.reopened
    history = response.context["history"][0]
    assert {c.name: (c.old, c.new) for c in history.changes}["status"] == ("Won", "Open")
    won.refresh_from_db()
    assert (won.status, won.stage.key) == ("open", "understand")


def test_a_stale_reopening_from_the_page_is_refused_with_the_deal_as_it_is(won, rep_client):
    seen = won.version
    Deal.objects.get(pk=won.pk).apply_edit({"title": "Renamed"}, version=seen)
    response = rep_client.post(url("deal_reopen", won), {"stage": "choose", "version": seen}, headers=HTMX)
    assert b"changed by someone else" in response.content
    assert Deal.objects.get(pk=won.pk).status == "won"


def test_the_page_refuses_a_teammate_with_404_and_forbids_one_who_sees_but_may_not(
    won, rep, team, client, monkeypatch
):
    teammate = RepFactory(username="teammate")
    team.members.add(teammate)
    client.force_login(teammate)
    assert (
        client.post(url("deal_reopen", won), {"stage": "choose", "version": won.version}).status_code == 404
    )
    # Whoever may see the deal but not reopen it (should the visibility rule ever widen) gets 403.
    monkeypatch.setattr(Deal, "may_reopen", lambda self, user: False)
    client.force_login(rep)
    response = client.post(url("deal_reopen", won), {"stage": "choose", "version": won.version})
    assert response.status_code == 403
    assert Deal.objects.get(pk=won.pk).status == "won"


def test_a_win_from_the_deal_page_answers_with_an_undo_to_the_stage_it_came_from(rep, team, rep_client):
    deal = DealFactory(owner=rep, customer__owner=rep, stage="understand")
    response = rep_client.post(url("deal_won", deal), {"version": deal.version}, headers=HTMX)
    page = response.content.decode()
    deal.refresh_from_db()
    assert 'id="undo-toast"' in page
    assert '<input type="hidden" name="stage" value="understand">' in page
    assert f'<input type="hidden" name="version" value="{deal.version}">' in page
    response = rep_client.post(
        url("deal_reopen", deal), {"stage": "understand", "version": deal.version}, headers=HTMX
    )
    deal.refresh_from_db()
    assert (deal.status, deal.stage.key) == ("open", "understand")
    assert SalesRecord.objects.filter(deal=deal).aggregate(s=Sum("amount"))["s"] == Decimal("0.00")


def test_the_move_form_marks_the_stages_that_win(rep, team, rep_client):
    deal = DealFactory(owner=rep, customer__owner=rep)
    page = rep_client.get(url("deal_detail", deal)).content.decode()
    assert 'data-confirm-win="option"' in page
    assert '<option value="buy" data-wins>' in page
    assert '<option value="choose" data-wins>' not in page


@pytest.mark.parametrize("n", [2, 4])
def test_the_page_of_a_won_deal_runs_a_fixed_number_of_queries(
    won, rep, rep_client, n, django_assert_num_queries
):
    from django.contrib.contenttypes.models import ContentType

    from tests.factories import ActivityFactory

    for _ in range(n):
        ActivityFactory(deal=won, customer=won.customer, owner=rep)
    ContentType.objects.clear_cache()
    # session, user, deal with customer, owner, stage, product and lost reason, stages, stage changes
    # with their stages and who, activities with owner, content type and change history, manager
    # check (groups, managed teams), pipeline settings and learned-probability counts. The owner
    # may reopen without a query; an open deal's lost reasons are not needed.
    with django_assert_num_queries(12):
        response = rep_client.get(url("deal_detail", won))
    assert response.context["can_reopen"]


def test_a_deal_imported_by_the_command_reopens_and_its_page_renders(tmp_path, admin_user, team, rep, client):
    RepFactory(username="alice")
    RepFactory(username="bob")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(DEALS_MAPPING))
    call_command("import_data", "deals", str(FIXTURES / "deals.csv"), "--mapping", str(mapping))
    won = Deal.objects.get(external_id="D-001")
    assert StageChange.objects.filter(deal=won, changed_by__isnull=True).exists()  # nobody moved it
    lost = Deal.objects.get(external_id="D-002")
    client.force_login(admin_user)
    for deal, key in ((won, "choose"), (lost, "choose")):
        deal.reopen(stage(key), by=admin_user)
        response = client.get(url("deal_detail", deal))
        assert response.status_code == 200
        assert response.context["timeline"][0].item.reopened
        assert "Reopened" in response.content.decode()
    assert SalesRecord.objects.filter(deal=won).aggregate(s=Sum("amount"))["s"] == Decimal("0.00")
