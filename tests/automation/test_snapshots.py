"""Pipeline snapshots, the trend and forecast accuracy against hand counts (acceptance 3).

The figures are defined in docs/metrics.md.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from automation.models import PipelineSnapshot
from automation.snapshots import daily_snapshot, rows_from_ledger, take_snapshot
from automation.trend import pipeline_trend
from sales.models import Stage
from tests.factories import DealFactory

D = Decimal
TODAY = datetime.date(2026, 12, 7)


def snapshot_of(day) -> dict:
    return {
        (row.owner.username, row.stage.key, row.close_month): (row.deals, row.amount, row.weighted)
        for row in PipelineSnapshot.objects.filter(day=day).select_related("owner", "stage")
    }


@pytest.mark.django_db
def test_the_daily_snapshot_equals_a_hand_count(rep, other_rep):
    dec, jan = datetime.date(2026, 12, 15), datetime.date(2027, 1, 20)
    DealFactory(owner=rep, customer__owner=rep, stage="lead", amount=D("1000"), expected_close=dec)
    DealFactory(owner=rep, customer__owner=rep, stage="lead", amount=D("300.50"), expected_close=dec)
    DealFactory(owner=rep, customer__owner=rep, stage="choose", amount=D("2000"), expected_close=jan)
    DealFactory(owner=rep, customer__owner=rep, stage="understand", amount=D("400"), expected_close=None)
    DealFactory(owner=other_rep, customer__owner=other_rep, stage="lead", amount=D("50"), expected_close=dec)
    won = DealFactory(owner=rep, customer__owner=rep, stage="lead", amount=D("9999"), expected_close=dec)
    won.win(by=rep)
    lost = DealFactory(owner=rep, customer__owner=rep, stage="lead", amount=D("7777"), expected_close=dec)
    lost.mark_lost("price", by=rep)

    assert take_snapshot(TODAY) == 4

    # lead 10 %, understand 25 %, choose 60 %
    assert snapshot_of(TODAY) == {
        ("rep", "lead", datetime.date(2026, 12, 1)): (2, D("1300.50"), D("130.05")),
        ("rep", "choose", datetime.date(2027, 1, 1)): (1, D("2000.00"), D("1200.00")),
        ("rep", "understand", None): (1, D("400.00"), D("100.00")),
        ("other_rep", "lead", datetime.date(2026, 12, 1)): (1, D("50.00"), D("5.00")),
    }


@pytest.mark.django_db
def test_the_worker_takes_the_snapshot_once_a_day(rep):
    DealFactory(owner=rep, customer__owner=rep, stage="lead", amount=D("100"))
    now = timezone.now()
    assert daily_snapshot(now) is True
    DealFactory(owner=rep, customer__owner=rep, stage="lead", amount=D("100"))
    assert daily_snapshot(now) is False
    assert PipelineSnapshot.objects.get().deals == 1


@pytest.mark.django_db
def test_a_past_day_is_rebuilt_from_the_stage_change_ledger(rep):
    deal = DealFactory(owner=rep, customer__owner=rep, stage="lead", amount=D("1000"), expected_close=None)
    today = timezone.localdate()
    tomorrow_noon = timezone.make_aware(
        datetime.datetime.combine(today, datetime.time(12))
    ) + datetime.timedelta(days=1)
    deal.move_to(Stage.objects.get(key="choose"), by=rep, at=tomorrow_noon)

    assert [(r.stage.key, r.deals, r.weighted) for r in rows_from_ledger(today)] == [("lead", 1, D("100.00"))]
    tomorrow = today + datetime.timedelta(days=1)
    assert [(r.stage.key, r.deals, r.weighted) for r in rows_from_ledger(tomorrow)] == [
        ("choose", 1, D("600.00"))
    ]
    assert rows_from_ledger(today - datetime.timedelta(days=1)) == []  # the deal did not exist yet

    call_command("snapshot_pipeline", "--days", "2", "--today", tomorrow.isoformat())
    assert set(PipelineSnapshot.objects.values_list("day", flat=True)) == {tomorrow, today}


def put(day, owner, stage, amount, weighted, *, close_month=None, deals=1):
    PipelineSnapshot.objects.create(
        day=day,
        owner=owner,
        stage=stage,
        close_month=close_month,
        deals=deals,
        amount=D(amount),
        weighted=D(weighted),
    )


def won_on(owner, day: datetime.date, amount: str):
    deal = DealFactory(owner=owner, customer__owner=owner, stage="choose", amount=D(amount))
    deal.win(by=owner, at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(12))))


@pytest.fixture
def history(rep, other_rep):
    """A known history: the rep's open pipeline on five days, and wins in October and November."""
    lead, choose = Stage.objects.get(key="lead"), Stage.objects.get(key="choose")
    nov, dec, oct_ = datetime.date(2026, 11, 1), datetime.date(2026, 12, 1), datetime.date(2026, 10, 1)
    put(TODAY, rep, lead, "700", "70")
    put(TODAY, rep, choose, "500", "300", close_month=dec, deals=2)
    put(datetime.date(2026, 11, 30), rep, lead, "1000", "100")
    put(datetime.date(2026, 11, 7), rep, lead, "800", "80")
    put(nov, rep, choose, "900", "500", close_month=nov)  # forecast for November: 500
    put(nov, rep, choose, "2000", "999", close_month=dec)  # expected in December: not November's forecast
    put(oct_, rep, lead, "1000", "200", close_month=oct_)  # forecast for October: 200
    put(nov, other_rep, choose, "5000", "5000", close_month=nov)  # not the rep's
    won_on(rep, datetime.date(2026, 11, 10), "150")
    won_on(rep, datetime.date(2026, 11, 20), "250")  # November won: 400
    won_on(rep, datetime.date(2026, 10, 5), "300")  # October won: 300
    won_on(other_rep, datetime.date(2026, 11, 12), "7000")  # not the rep's
    won_on(rep, datetime.date(2026, 12, 2), "123")  # December is not closed yet


@pytest.mark.django_db
def test_the_trend_and_forecast_accuracy_equal_hand_computed_values(history, rep):
    trend = pipeline_trend(rep, today=TODAY)

    assert trend.latest.amount == D("1200") and trend.latest.weighted == D("370") and trend.latest.deals == 3
    assert trend.week_ago.day == datetime.date(2026, 11, 30)
    assert trend.month_ago.day == datetime.date(2026, 11, 7)
    assert trend.change_week == D("20.0")  # (1200 − 1000) / 1000
    assert trend.change_month == D("50.0")  # (1200 − 800) / 800
    assert [(p.day.isoformat(), p.amount) for p in trend.points] == [
        ("2026-10-01", D("1000")),
        ("2026-11-01", D("2900")),
        ("2026-11-07", D("800")),
        ("2026-11-30", D("1000")),
        ("2026-12-07", D("1200")),
    ]
    assert [(f.month.isoformat(), f.forecast, f.won, f.accuracy) for f in trend.forecasts] == [
        ("2026-10-01", D("200"), D("300"), D("50.0")),  # 100 − |300 − 200| / 200 × 100
        ("2026-11-01", D("500"), D("400"), D("80.0")),  # 100 − |400 − 500| / 500 × 100
    ]


@pytest.mark.django_db
def test_a_manager_sees_the_team_and_the_page_shows_the_figures(history, manager_client, other_rep):
    response = manager_client.get(reverse("automation:pipeline_trend"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="pipeline-change-month">+50.0 %' in html
    assert "80.0 %" in html and "50.0 %" in html
    assert "5,000" not in html and "7,000" not in html


def queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("automation:pipeline_trend")).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_the_page_runs_a_fixed_number_of_queries(admin_client_, rep, other_rep):
    stages = list(Stage.objects.filter(kind="open"))
    today = timezone.localdate()

    def add_days(first: int, last: int):
        for back in range(first, last):
            for owner in (rep, other_rep):
                for stage in stages:
                    put(today - datetime.timedelta(days=back), owner, stage, "100", "10")

    add_days(0, 20)
    small = queries(admin_client_)
    add_days(20, 80)
    won_on(rep, today.replace(day=1) - datetime.timedelta(days=3), "100")
    assert queries(admin_client_) == small


@pytest.mark.django_db
def test_the_backfill_can_be_told_to_leave_existing_snapshots_alone(rep):
    DealFactory(owner=rep, customer__owner=rep, stage="lead")
    call_command("snapshot_pipeline", "--days", "3", "--if-empty")
    assert PipelineSnapshot.objects.values("day").distinct().count() == 1  # the deal is new: one day
    DealFactory(owner=rep, customer__owner=rep, stage="lead")
    call_command("snapshot_pipeline", "--days", "3", "--if-empty")
    assert PipelineSnapshot.objects.get().deals == 1


@pytest.mark.django_db
def test_a_bad_backfill_argument_is_refused_with_a_message():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a date"):
        call_command("snapshot_pipeline", "--today", "someday")
