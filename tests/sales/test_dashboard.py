"""The dashboard page: what each persona sees, its links, its htmx refresh and its query count."""

import datetime
import json
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from sales.dashboard.filters import preset_period
from tests.factories import ActivityFactory, CustomerFactory, DealFactory, RepFactory, SalesPlanFactory
from tests.sales import test_metrics
from tests.sales.test_metrics import at, make_deal

book = test_metrics.book  # the hand-computed data set, as a fixture here too

URL = reverse("sales:dashboard")
Q1 = {"period": "custom", "start": "2025-01-01", "end": "2025-03-31"}
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "dashboard-body"}


def links(response) -> list[str]:
    return re.findall(r'href="([^"]+)"', response.content.decode())


def deal_links(response) -> list[dict]:
    """The query strings of every link into the deal list, from the page and from the charts."""
    found = [u.replace("&amp;", "&") for u in links(response) if u.startswith("/deals/?")]
    charts = chart_data(response)
    for chart in charts.values():
        found += chart["urls"]
    return [parse_qs(urlparse(u).query) for u in found]


def chart_data(response) -> dict:
    match = re.search(
        r'<script id="dashboard-charts" type="application/json">(.*?)</script>', response.content.decode()
    )
    return json.loads(match.group(1))


@pytest.mark.parametrize(
    "name, start, end",
    [
        ("month", datetime.date(2025, 2, 1), datetime.date(2025, 2, 28)),
        ("quarter", datetime.date(2025, 1, 1), datetime.date(2025, 3, 31)),
        ("year", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
    ],
)
def test_period_presets_are_the_calendar_month_quarter_and_year(name, start, end):
    assert preset_period(name, datetime.date(2025, 2, 14)) == (start, end)


def test_the_quarter_preset_ends_a_december_quarter_in_december():
    assert preset_period("quarter", datetime.date(2025, 11, 30)) == (
        datetime.date(2025, 10, 1),
        datetime.date(2025, 12, 31),
    )


def test_it_asks_anonymous_visitors_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_manager_sees_the_teams_figures(book, manager_client):
    response = manager_client.get(URL, Q1)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page
    context = response.context
    assert context["data"].summary.won_revenue == Decimal("4000.00")
    assert context["data"].indicators.indicators.effectiveness == 2000
    assert "4,000.00" in page
    assert "dashboard-charts" in page
    assert "vendor/chartjs/chart.umd.min.js" in page


def test_an_htmx_refresh_gets_only_the_body(book, manager_client):
    response = manager_client.get(URL, Q1, **HTMX)
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="dashboard-filters"' not in page
    assert "4,000.00" in page


def test_a_history_restore_gets_the_whole_page(book, manager_client):
    response = manager_client.get(URL, Q1, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode()


def test_the_filter_bar_refreshes_the_body_with_htmx_and_pushes_the_url(book, manager_client):
    page = manager_client.get(URL, Q1).content.decode()
    form = re.search(r'<form id="dashboard-filters"[^>]*>', page).group(0)
    assert f'hx-get="{URL}"' in form
    assert 'hx-target="#dashboard-body"' in form
    assert 'hx-push-url="true"' in form


def test_every_card_links_to_the_deals_behind_it(book, manager_client, team):
    response = manager_client.get(URL, Q1)
    queries = deal_links(response)
    won = {
        "team": [str(team.pk)],
        "status": ["won"],
        "closed_from": ["2025-01-01"],
        "closed_to": ["2025-03-31"],
    }
    assert won in queries
    assert {**won, "status": ["lost"]} in queries
    assert {"team": [str(team.pk)], "status": ["open"]} in queries
    assert {"team": [str(team.pk)], "status": ["open"], "risk": ["stale"]} in queries
    assert {
        "team": [str(team.pk)],
        "reached": ["choose"],
        "opened_from": ["2025-01-01"],
        "opened_to": ["2025-03-31"],
    } in queries


def test_chart_bars_link_to_their_month(book, manager_client, team):
    charts = chart_data(manager_client.get(URL, Q1))
    # A quarter gone by: realised sales per month (d1 in January, d2 in February), no pipeline.
    assert charts["forecast"]["actual"] == [1000.0, 3000.0, 0.0]
    assert charts["forecast"]["amount"] == [None, None, None]
    march = parse_qs(urlparse(charts["forecast"]["urls"][2]).query)
    assert march["close_from"] == ["2025-03-01"] and march["close_to"] == ["2025-03-31"]
    assert charts["trend"]["values"][-3:] == [1000.0, 3000.0, 0.0]
    assert charts["funnel"]["reached"] == [4, 3, 2, 2]


def test_the_forecast_chart_shows_sales_before_today_and_the_pipeline_after(
    book, manager_client, monkeypatch
):
    from sales.views import dashboard

    monkeypatch.setattr(dashboard.timezone, "localdate", lambda: datetime.date(2025, 2, 14))
    charts = chart_data(manager_client.get(URL, Q1))
    assert charts["forecast"]["actual"] == [1000.0, 3000.0, None]
    assert charts["forecast"]["amount"] == [None, 400.0, 2000.0]
    assert charts["forecast"]["weighted"] == [None, 40.0, 500.0]


def test_filters_narrow_the_links_too(book, manager_client, rep):
    response = manager_client.get(URL, {**Q1, "owner": rep.pk, "region": "South"})
    assert response.context["data"].summary.won_revenue == Decimal("3000.00")
    for query in deal_links(response):
        assert query["owner"] == [str(rep.pk)]
        assert query["region"] == ["South"]


def test_a_rep_sees_only_their_own_numbers(book, rep, other_rep, client, team, other_team):
    client.force_login(other_rep)
    response = client.get(URL, Q1)
    data = response.context["data"]
    # other_rep's only deal: 9999 won on Jan 13; none of rep's 4000 or the team's customers
    assert data.summary.won_revenue == Decimal("9999.00")
    assert [r.owner_id for r in data.leaders] == [other_rep.pk]
    assert data.indicators.indicators.need == Decimal("1000.00")
    page = response.content.decode()
    assert "4,000" not in page
    assert rep.get_full_name() not in page
    assert sum(chart_data(response)["trend"]["values"]) == 9999.0


def test_a_rep_cannot_ask_for_another_reps_figures(book, rep, other_rep, client, team, other_team):
    client.force_login(other_rep)
    response = client.get(URL, {**Q1, "owner": rep.pk, "team": team.pk})
    assert response.context["data"].summary.won_revenue == Decimal("9999.00")
    assert 'name="owner"' not in response.content.decode()
    for query in deal_links(response):
        assert str(rep.pk) not in query.get("owner", [])
        assert "team" not in query


def test_a_manager_cannot_pick_a_rep_outside_the_team(book, manager_client, other_rep):
    response = manager_client.get(URL, {**Q1, "owner": other_rep.pk})
    assert response.context["data"].summary.won_revenue == Decimal("4000.00")
    page = response.content.decode()
    assert f'<option value="{other_rep.pk}"' not in page


def test_the_filter_options_are_what_the_user_may_see(book, manager_client, other_team):
    page = manager_client.get(URL, Q1).content.decode()
    assert '<option value="North">North</option>' in page
    assert '<option value="South">South</option>' in page
    assert '<option value="East">' not in page  # other_rep's customer's region
    teams = re.search(r'<select name="team".*?</select>', page, re.S).group(0)
    assert f'<option value="{other_team.pk}"' not in teams
    assert "North" in teams


def test_an_admin_sees_everyone(book, admin_client_, rep, other_rep):
    response = admin_client_.get(URL, Q1)
    data = response.context["data"]
    assert data.summary.won_revenue == Decimal("13999.00")
    assert {r.owner_id for r in data.leaders} == {rep.pk, other_rep.pk}


def test_an_empty_database_shows_an_empty_state_not_zeros(manager_client):
    page = manager_client.get(URL).content.decode()
    assert "Nothing to measure yet" in page
    assert "0.00" not in page
    assert "dashboard-charts" not in page


def test_missing_indicators_say_not_available(db, rep, rep_client):
    CustomerFactory(owner=rep, need=None)
    page = rep_client.get(URL, Q1).content.decode()
    assert "No sales plan covers this period" in page
    assert page.count("Not available") >= 5  # R, T, A, E, F


def test_a_custom_range_is_used_as_given(book, manager_client):
    response = manager_client.get(URL, {"period": "custom", "start": "2025-03-31", "end": "2025-02-01"})
    scope = response.context["data"].scope
    assert (scope.start, scope.end) == (datetime.date(2025, 2, 1), datetime.date(2025, 3, 31))


def test_bad_filter_values_are_ignored(book, manager_client):
    response = manager_client.get(URL, {**Q1, "team": "x", "owner": "99999999999999999999", "region": "Mars"})
    assert response.status_code == 200
    assert response.context["data"].summary.won_revenue == Decimal("4000.00")


def test_json_for_the_charts_is_escaped(db, manager, team, manager_client):
    customer = CustomerFactory(owner=manager)
    make_deal(manager, customer, "10", at(1, 5))
    from sales.models import Stage

    Stage.objects.filter(key="lead").update(name="</script><b>x")
    page = manager_client.get(URL, Q1).content.decode()
    assert "</script><b>x" not in page
    assert "\\u003C/script\\u003E\\u003Cb\\u003Ex" in page


def _grow(count: int, team, manager) -> None:
    """``count`` reps' worth of deals: won, lost and open, with activities and a plan."""
    for _ in range(count):
        rep = RepFactory()
        team.members.add(rep)
        customer = CustomerFactory(owner=rep, need=Decimal("500"))
        won = make_deal(rep, customer, "100", at(1, 5), [("understand", at(1, 8)), ("buy", at(1, 20))])
        make_deal(rep, customer, "50", at(1, 6), lost=at(2, 1))
        open_deal = DealFactory(owner=rep, customer=customer, expected_close=datetime.date(2025, 2, 1))
        ActivityFactory(owner=rep, customer=customer, deal=won, done_at=at(1, 10), due_at=at(1, 10))
        ActivityFactory(owner=rep, customer=customer, deal=open_deal, due_at=at(2, 10))
        SalesPlanFactory(
            scope="rep",
            rep=rep,
            period_start=datetime.date(2025, 1, 1),
            period_end=datetime.date(2025, 3, 31),
            revenue_quota=Decimal("1000"),
        )


@pytest.mark.parametrize("count", [3, 6])
def test_the_dashboard_runs_a_fixed_number_of_queries(
    count, manager, team, manager_client, django_assert_num_queries
):
    _grow(count, team, manager)
    SalesPlanFactory(period_start=datetime.date(2025, 1, 1), period_end=datetime.date(2025, 3, 31))
    for n in range(count):  # as many again: per-category team plans, month by month, that add up
        start = datetime.date(2025, n % 3 + 1, 1)
        SalesPlanFactory(
            scope="team",
            team=team,
            product_category=f"C{n}",
            period_start=start,
            period_end=datetime.date(2025, n % 3 + 2, 1) - datetime.timedelta(days=1),
            revenue_quota=Decimal("100"),
        )
    # 1 session, 2 user, 3 is_manager (group), filter options: 4 teams, 5 reps, 6 regions and
    # channels, 7 categories; metrics: 8 any deals, 9 stages, 10 plans, from the rollups: 11 won
    # and lost per rep and reason and the cycle, 12 lost reasons' names, 13 the open book per rep
    # (cards, leaderboard, risk counts), 14 activities per rep and type, 15 sales per rep, month
    # and category (and E's counts), 16 funnel and time in stage, 17 forecast, 18 trend; from the
    # deals: 19 stale deals per rep, 20 risk rows; 21 R; 22 whether learned probabilities weigh
    # the pipeline (the ledger is read only when they do)
    with django_assert_num_queries(22):
        response = manager_client.get(URL, Q1)
    assert len(response.context["data"].leaders) == count
    assert response.context["data"].quota.plans == count
    with django_assert_num_queries(22):  # the htmx body runs the same queries
        manager_client.get(URL, Q1, **HTMX)


@pytest.fixture
def cache_on(settings):
    from django.core.cache import cache

    settings.CRM_DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def test_a_cached_dashboard_skips_the_metric_queries(
    cache_on, book, manager_client, django_assert_num_queries
):
    manager_client.get(URL, Q1)
    # session, user, is_manager and the four filter-option queries, and whether learned
    # probabilities weigh the pipeline; the figures come from the cache
    with django_assert_num_queries(8):
        response = manager_client.get(URL, Q1)
    assert response.context["data"].summary.won_revenue == Decimal("4000.00")
    assert "Figures as of" in response.content.decode()


def test_the_cache_is_per_user(cache_on, book, manager_client, client, admin_user):
    everyone = {**Q1, "team": ""}  # the same scope for both: no team, no rep
    assert manager_client.get(URL, everyone).context["data"].summary.won_revenue == Decimal("4000.00")
    client.force_login(admin_user)
    assert client.get(URL, everyone).context["data"].summary.won_revenue == Decimal("13999.00")


def test_refresh_recomputes_now(cache_on, book, manager_client, rep):
    manager_client.get(URL, Q1)
    customer = CustomerFactory(owner=rep)
    make_deal(rep, customer, "5", at(3, 1), [("buy", at(3, 2))])
    assert manager_client.get(URL, Q1).context["data"].summary.deals_won == 2
    assert manager_client.get(URL, {**Q1, "fresh": "1"}).context["data"].summary.deals_won == 3


def test_execution_links_to_the_sales_records_behind_it(book, manager_client):
    page = manager_client.get(URL, {**Q1, "region": "South"}).content.decode()
    records = reverse("sales:salesrecord_list")
    assert f"{records}?start=2025-01-01&amp;end=2025-03-31&amp;region=South" in page
