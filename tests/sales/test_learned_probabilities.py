"""Learned stage probabilities: the share of closed deals that reached a stage and were won."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from sales.metrics import Scope, learned_probabilities, overview, pipeline_odds, visible_sources, window_start
from sales.models import PipelineSettings, Stage, StageChange
from tests.factories import CustomerFactory, DealFactory

TODAY = datetime.date(2026, 6, 15)


def _stage(key: str) -> Stage:
    return Stage.objects.get(key=key)


def _deal(owner, path: list[str], *, end: str = "", days_ago: int = 30, amount="1000.00"):
    """A deal opened at lead that moved along ``path`` and then was won (buy) or lost, or stays open."""
    today = timezone.localdate()
    deal = DealFactory(customer=CustomerFactory(owner=owner), amount=Decimal(amount), stage="lead")
    at = timezone.now() - datetime.timedelta(days=days_ago + 10)
    for key in path:
        at += datetime.timedelta(days=1)
        deal.move_to(_stage(key), by=owner, at=at)
    if end == "won":
        deal.move_to(_stage("buy"), by=owner, at=timezone.now() - datetime.timedelta(days=days_ago))
    elif end == "lost":
        deal.mark_lost("Too expensive", by=owner, on=today - datetime.timedelta(days=days_ago))
    return deal


@pytest.fixture
def closed_book(rep):
    """Hand-made record: which closed deals reached which stage, and which of them were won."""
    _deal(rep, ["understand", "choose"], end="won")  # A
    _deal(rep, ["understand"], end="won")  # B
    _deal(rep, ["understand", "choose"], end="lost")  # C
    _deal(rep, [], end="lost")  # D
    _deal(rep, ["choose"], end="lost")  # E
    _deal(rep, [], end="won", days_ago=800)  # G: closed before the window
    return rep


# By hand from the fixture, closed deals in the window (A to E): reached, of them won.
HAND = {"lead": (5, 2), "understand": (3, 2), "choose": (3, 1), "buy": (2, 2), "use": (0, 0)}


def test_the_learned_probability_of_each_stage_equals_a_hand_count(closed_book):
    today = timezone.localdate()
    stages = list(Stage.objects.order_by("order"))
    learned = learned_probabilities(
        StageChange.objects.all(), stages, start=window_start(today, 12), end=today, minimum=3
    )
    by_key = {s.key: s for s in learned.stages}
    for key, (closed, won) in HAND.items():
        assert (by_key[key].closed, by_key[key].won) == (closed, won), key
        if closed >= 3:
            assert by_key[key].probability == (Decimal(won * 100) / closed).quantize(Decimal("0.01"))
        else:
            assert by_key[key].probability is None, key  # not enough data
    assert by_key["understand"].probability == Decimal("66.67")


def test_open_deals_and_deals_closed_before_the_window_are_left_out(closed_book, rep):
    _deal(rep, ["understand", "choose"])  # open
    today = timezone.localdate()
    stages = list(Stage.objects.order_by("order"))
    wide = learned_probabilities(StageChange.objects.all(), stages, start=today.replace(year=today.year - 5),
                                 end=today, minimum=1)  # fmt: skip
    narrow = learned_probabilities(
        StageChange.objects.all(), stages, start=window_start(today, 12), end=today, minimum=1
    )
    assert wide.for_stage(_stage("lead").pk).closed == 6 and narrow.for_stage(_stage("lead").pk).closed == 5


def test_the_window_is_the_months_that_end_today():
    assert window_start(TODAY, 12) == datetime.date(2025, 6, 16)
    assert window_start(datetime.date(2026, 3, 31), 1) == datetime.date(2026, 3, 1)
    assert window_start(datetime.date(2026, 1, 10), 3) == datetime.date(2025, 10, 11)


def test_with_no_closed_deals_every_stage_lacks_data(db):
    stages = list(Stage.objects.order_by("order"))
    learned = learned_probabilities(
        StageChange.objects.all(), stages, start=TODAY.replace(year=2020), end=TODAY, minimum=1
    )
    assert [s.probability for s in learned.stages] == [None] * len(stages)


@pytest.fixture
def open_book(closed_book, rep):
    understand = _deal(rep, ["understand"], amount="1000.00")
    lead = _deal(rep, [], amount="500.00")
    chosen = _deal(rep, ["choose"], amount="2000.00")
    chosen.set_probability(Decimal("50"))  # set by hand: wins over any stage probability
    return understand, lead, chosen


def _use_learned(on: bool, minimum: int = 3) -> None:
    PipelineSettings.objects.update_or_create(
        pk=1, defaults={"use_learned_probabilities": on, "minimum_deals": minimum, "window_months": 12}
    )


def _weighted(user, *, on: bool) -> Decimal:
    today = timezone.localdate()
    scope = Scope(start=today.replace(day=1), end=today)
    weights = pipeline_odds(today).weights()
    assert (weights is not None) == on
    return overview(visible_sources(user), scope, today=today, stale_days=14, weights=weights)


def test_the_weighted_pipeline_with_the_setting_on_uses_the_learned_probabilities(open_book, rep):
    _use_learned(True)
    data = _weighted(rep, on=True)
    learned = pipeline_odds(timezone.localdate()).weights()
    understand, lead, chosen = open_book
    expected = (
        understand.amount * learned[_stage("understand").pk] / 100
        + lead.amount * learned[_stage("lead").pk] / 100
        + chosen.amount * Decimal("50") / 100
    )
    assert data.summary.weighted_amount == expected.quantize(Decimal("0.01"))
    # By hand: 1000 × 66.67 % + 500 × 40 % + 2000 × 50 % (its own probability).
    assert data.summary.weighted_amount == Decimal("1866.70")
    assert data.learned_weights


def test_with_the_setting_off_the_stage_defaults_weigh_the_pipeline(open_book, rep):
    _use_learned(False)
    data = _weighted(rep, on=False)
    # 1000 × 25 % + 500 × 10 % + 2000 × 50 %
    assert data.summary.weighted_amount == Decimal("1300.00")
    assert not data.learned_weights


def test_a_stage_without_enough_data_keeps_its_default(open_book, rep):
    _use_learned(True, minimum=5)  # only lead has five closed deals
    data = _weighted(rep, on=True)
    # 1000 × 25 % (default) + 500 × 40 % (learned) + 2000 × 50 %
    assert data.summary.weighted_amount == Decimal("1450.00")


def test_the_forecast_uses_the_same_probabilities(open_book, rep):
    _use_learned(True)
    today = timezone.localdate()
    scope = Scope(start=today, end=today + datetime.timedelta(days=60))
    data = overview(
        visible_sources(rep), scope, today=today, stale_days=14, weights=pipeline_odds(today).weights()
    )
    assert data.forecast.weighted == Decimal("1866.70")


def test_the_dashboard_and_api_say_which_probabilities_they_used(open_book, rep_client):
    _use_learned(True)
    page = rep_client.get(reverse("sales:dashboard")).content.decode()
    assert "weighted with learned probabilities" in page
    assert rep_client.get("/api/metrics/").json()["weighted_with"] == "learned"
    _use_learned(False)
    page = rep_client.get(reverse("sales:dashboard")).content.decode()
    assert "weighted with stage defaults" in page
    assert rep_client.get("/api/metrics/").json()["weighted_with"] == "stage_defaults"


def test_the_board_deal_page_and_stage_admin_show_the_learned_probability(
    open_book, rep_client, admin_client_
):
    _use_learned(False)
    board = rep_client.get(reverse("sales:pipeline")).content.decode()
    assert "learned 67 %" in board and "default 25 %" in board
    understand = open_book[0]
    page = rep_client.get(reverse("sales:deal_detail", args=[understand.pk])).content.decode()
    assert "learned 66.67%" in page
    stages = admin_client_.get(reverse("admin:sales_stage_changelist")).content.decode()
    assert "66.67 (2 won of 3 closed deals)" in stages
    assert "not enough data" in stages


def test_pipeline_settings_are_edited_in_admin(admin_client_):
    url = reverse("admin:sales_pipelinesettings_add")
    response = admin_client_.post(
        url, {"window_months": 6, "minimum_deals": 4, "use_learned_probabilities": "on"}
    )
    assert response.status_code == 302
    settings = PipelineSettings.objects.get()
    assert (settings.pk, settings.window_months, settings.use_learned_probabilities) == (1, 6, True)
    assert admin_client_.get(url).status_code == 403  # one row only


def test_the_loader_is_kept_in_the_cache_when_asked_and_forgotten_when_settings_change(
    closed_book, settings, admin_client_, django_assert_num_queries
):
    from django.core.cache import cache

    settings.CRM_LEARNED_PROBABILITIES_CACHE_SECONDS = 60
    cache.clear()
    today = timezone.localdate()
    first = pipeline_odds(today)
    with django_assert_num_queries(0):
        assert pipeline_odds(today) == first
    admin_client_.post(
        reverse("admin:sales_pipelinesettings_add"),
        {"window_months": 12, "minimum_deals": 1, "use_learned_probabilities": "on"},
    )
    assert pipeline_odds(today).use_learned and not first.use_learned
    cache.clear()


def test_the_board_totals_follow_the_setting(open_book, rep_client):
    _use_learned(True)
    assert rep_client.get(reverse("sales:pipeline")).context["open_weighted"] == Decimal("1866.70")
    _use_learned(False)
    assert rep_client.get(reverse("sales:pipeline")).context["open_weighted"] == Decimal("1300.00")
