import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from sales.models import Deal, DealError, SalesRecord, Stage, StageChange, StaleEdit
from tests.factories import DealFactory, lost_reason


def stage(key: str) -> Stage:
    return Stage.objects.get(key=key)


@pytest.fixture
def deal(rep):
    return DealFactory(owner=rep, customer__owner=rep, amount=Decimal("2500.00"))


def test_a_new_deal_enters_the_pipeline_with_one_stage_change(deal):
    changes = list(StageChange.objects.filter(deal=deal))
    assert len(changes) == 1
    assert changes[0].from_stage is None
    assert changes[0].to_stage.key == "lead"
    assert deal.probability == Decimal("10")


def test_each_move_writes_exactly_one_stage_change(deal, rep):
    deal.move_to(stage("understand"), by=rep)
    deal.move_to(stage("choose"), by=rep)
    moves = list(StageChange.objects.filter(deal=deal).values_list("from_stage__key", "to_stage__key"))
    assert moves == [(None, "lead"), ("lead", "understand"), ("understand", "choose")]
    last = StageChange.objects.filter(deal=deal).last()
    assert last.changed_by == rep
    assert last.amount == Decimal("2500.00")
    assert last.probability == Decimal("60")


def test_moving_to_the_same_stage_records_nothing(deal, rep):
    assert deal.move_to(stage("lead"), by=rep) is None
    assert StageChange.objects.filter(deal=deal).count() == 1


def test_reaching_buy_wins_the_deal_with_exactly_one_sales_record(deal, rep):
    deal.move_to(stage("buy"), by=rep)
    deal.move_to(stage("use"), by=rep)
    deal.move_to(stage("maintain"), by=rep)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON
    assert deal.closed_on == timezone.localdate()
    records = list(SalesRecord.objects.filter(deal=deal))
    assert len(records) == 1
    assert records[0].amount == Decimal("2500.00")
    assert records[0].owner == rep
    assert records[0].sold_on == deal.closed_on


def test_winning_a_won_deal_again_is_refused_and_records_nothing(deal, rep):
    deal.move_to(stage("buy"), by=rep)
    with pytest.raises(DealError, match="Only an open deal can be won"):
        deal.move_to(stage("buy"), by=rep)
    assert StageChange.objects.filter(deal=deal).count() == 2
    assert SalesRecord.objects.filter(deal=deal).count() == 1


def test_a_historic_move_keeps_its_date(deal, rep):
    when = datetime.datetime(2017, 5, 4, 12, tzinfo=datetime.UTC)
    deal.move_to(stage("buy"), by=rep, at=when)
    assert deal.closed_on == datetime.date(2017, 5, 4)
    assert SalesRecord.objects.get(deal=deal).sold_on == datetime.date(2017, 5, 4)


def test_a_won_deal_cannot_go_back_to_an_open_stage(deal, rep):
    deal.move_to(stage("buy"), by=rep)
    with pytest.raises(DealError):
        deal.move_to(stage("choose"), by=rep)


def test_marking_lost_needs_a_reason(deal, rep):
    with pytest.raises(DealError, match="Say why"):
        deal.mark_lost(None, note="Too dear", by=rep)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN


def test_other_needs_a_note_and_a_reason_of_the_list_does_not(deal, rep):
    with pytest.raises(DealError, match="needs a note"):
        deal.mark_lost(lost_reason("Other"), note="   ", by=rep)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN
    deal.mark_lost(lost_reason("No budget"), by=rep)
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason.name, deal.lost_note) == ("lost", "No budget", "")


def test_a_lost_deal_keeps_its_stage_and_reason(deal, rep):
    deal.move_to(stage("understand"), by=rep)
    deal.mark_lost(lost_reason(), note=" Chose a local supplier ", by=rep)
    deal.refresh_from_db()
    assert (deal.status, deal.stage.key) == ("lost", "understand")
    assert (deal.lost_reason.name, deal.lost_note) == ("Other", "Chose a local supplier")
    assert deal.closed_on == timezone.localdate()
    assert StageChange.objects.filter(deal=deal, status="lost").count() == 1


def test_only_an_open_deal_can_be_marked_lost(deal, rep):
    deal.move_to(stage("buy"), by=rep)
    with pytest.raises(DealError):
        deal.mark_lost(lost_reason(), note="Too late", by=rep)


def test_a_lost_deal_cannot_move(deal, rep):
    deal.mark_lost(lost_reason(), note="No budget", by=rep)
    with pytest.raises(DealError):
        deal.move_to(stage("choose"), by=rep)


def test_the_stage_default_probability_applies_on_each_move(deal, rep):
    deal.move_to(stage("understand"), by=rep)
    assert deal.probability == Decimal("25")
    deal.refresh_from_db()
    assert deal.probability == Decimal("25")
    assert not deal.probability_overridden


def test_an_override_survives_moves_until_cleared(deal, rep):
    deal.set_probability(Decimal("42"))
    deal.move_to(stage("choose"), by=rep)
    deal.refresh_from_db()
    assert (deal.probability, deal.probability_overridden) == (Decimal("42"), True)
    deal.clear_probability_override()
    deal.refresh_from_db()
    assert (deal.probability, deal.probability_overridden) == (Decimal("60"), False)


def test_an_override_outside_0_to_100_is_refused(deal):
    with pytest.raises(DealError):
        deal.set_probability(Decimal("120"))


def test_an_edit_from_a_stale_copy_is_refused_and_overwrites_nothing(deal, rep):
    stale_version = deal.version
    fresh = Deal.objects.get(pk=deal.pk)
    fresh.apply_edit({"title": "Renamed by a colleague"}, version=fresh.version)
    with pytest.raises(StaleEdit) as refused:
        deal.apply_edit({"title": "My rename"}, version=stale_version)
    assert refused.value.current.title == "Renamed by a colleague"
    deal.refresh_from_db()
    assert deal.title == "Renamed by a colleague"


def test_a_stale_copy_cannot_move_the_deal(deal, rep):
    stale = Deal.objects.get(pk=deal.pk)
    deal.move_to(stage("understand"), by=rep)
    with pytest.raises(StaleEdit):
        stale.move_to(stage("choose"), by=rep)
    assert StageChange.objects.filter(deal=deal).count() == 2


def test_pushing_the_expected_close_back_marks_the_deal_slipped(deal):
    assert not deal.slipped
    deal.apply_edit(
        {"expected_close": deal.expected_close + datetime.timedelta(days=30)}, version=deal.version
    )
    assert deal.slipped


def test_stage_changes_cannot_be_rewritten(deal):
    change = StageChange.objects.get(deal=deal)
    change.amount = Decimal("1")
    with pytest.raises(DealError):
        change.save()
    with pytest.raises(DealError):
        change.delete()


def test_winning_moves_an_open_deal_to_the_first_won_stage(deal, rep):
    change = deal.win(by=rep)
    assert (deal.status, deal.stage.key, change.to_stage.key) == (Deal.Status.WON, "buy", "buy")
    assert SalesRecord.objects.filter(deal=deal).exists()


def test_only_an_open_deal_can_be_won(deal, rep):
    deal.mark_lost(lost_reason(), note="Budget cut", by=rep)
    with pytest.raises(DealError, match="Only an open deal can be won."):
        deal.win(by=rep)


def test_losing_a_deal_cancels_what_was_still_to_do_and_reopening_brings_it_back(deal, rep, client):
    from sales.models import Activity
    from tests.factories import ActivityFactory

    soon = timezone.now() + datetime.timedelta(days=2)
    todo = ActivityFactory(deal=deal, customer=deal.customer, owner=rep, due_at=soon, remind_before=0)
    done = ActivityFactory(deal=deal, customer=deal.customer, owner=rep, done_at=timezone.now())
    deal.mark_lost(lost_reason("No budget"), by=rep)
    todo.refresh_from_db()
    assert todo.cancelled_at is not None and todo.done_at is None
    assert list(Activity.objects.pending()) == []
    # Done work stays done; the cancelled task is no longer anyone's to do.
    assert list(Activity.objects.done()) == [done]
    client.force_login(rep)
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert "Cancelled" in page and 'id="deal-outcome"' in page
    assert "Weighted" not in page  # a lost deal has no weighted amount
    deal.reopen(stage("choose"), by=rep)
    todo.refresh_from_db()
    assert todo.cancelled_at is None
    assert list(Activity.objects.pending()) == [todo]
