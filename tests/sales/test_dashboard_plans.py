"""The dashboard's quotas: which plans made them, where to set one, T and A beside the period's
target, the customers behind R, and a co-manager's team."""

import datetime
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import CustomerFactory, DealFactory, ManagerFactory, RepFactory, SalesPlanFactory

URL = reverse("sales:dashboard")
D = datetime.date


def custom(start, end, **extra):
    return {"period": "custom", "start": start.isoformat(), "end": end.isoformat(), **extra}


@pytest.fixture
def quarters(db, rep, team):
    CustomerFactory(owner=rep, need=Decimal("1000"))
    for n, (start, end, quota) in enumerate(
        [(D(2025, 1, 1), D(2025, 3, 31), "9000"), (D(2025, 4, 1), D(2025, 6, 30), "9100")], 1
    ):
        SalesPlanFactory(
            name=f"Q{n}",
            scope="rep",
            rep=rep,
            period_start=start,
            period_end=end,
            revenue_quota=Decimal(quota),
        )


def test_the_dashboard_says_which_plans_made_the_quota(quarters, manager_client, team):
    # March 15 - April 14: 17 days of Q1 (90 days) and 14 of Q2 (91): 9000×17/90 + 9100×14/91 = 1700 + 1400
    response = manager_client.get(URL, custom(D(2025, 3, 15), D(2025, 4, 14), team=team.pk))
    assert response.context["data"].quota.total == Decimal("3100.00")
    page = response.content.decode()
    assert "2 quarterly plans, 2 pro-rated" in page
    whole = manager_client.get(URL, custom(D(2025, 1, 1), D(2025, 6, 30), team=team.pk))
    assert whole.context["data"].quota.total == Decimal("18100.00")
    assert "2 quarterly plans</span>" in re.sub(r"\s+", " ", whole.content.decode()).replace(
        " </span>", "</span>"
    )


def test_the_plan_note_is_translated(quarters, manager_client, team):
    with translation.override("zh-hans"):
        page = manager_client.get(
            URL, custom(D(2025, 3, 15), D(2025, 4, 14), team=team.pk), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
    assert "2 个季度计划" in page and "2 个按天折算" in page


def test_t_and_a_are_per_customer_with_the_periods_target_beside_them(quarters, manager_client, team):
    response = manager_client.get(URL, custom(D(2025, 1, 1), D(2025, 3, 31), team=team.pk))
    cards = {c.symbol: c for c in response.context["indicator_cards"]}
    assert "per customer" in str(cards["T"].label) and "per customer" in str(cards["A"].label)
    assert "per sales record" in str(cards["E"].label)
    assert "period target $9,000.00" in cards["T"].note


def test_without_a_plan_managers_get_a_link_to_the_plans_page_and_reps_do_not(db, rep, team, manager):
    CustomerFactory(owner=rep, need=Decimal("10"))
    client = Client()
    client.force_login(manager)
    page = client.get(URL, custom(D(2030, 4, 1), D(2030, 4, 30))).content.decode()
    link = re.search(r'href="([^"]+)" data-testid="set-plan"', page).group(1).replace("&amp;", "&")
    assert urlparse(link).path == reverse("sales:plans")
    assert parse_qs(urlparse(link).query) == {
        "period": ["month"],
        "year": ["2030"],
        "quarter": ["2"],
        "level": ["team"],
    }
    assert client.get(link).status_code == 200
    client.force_login(rep)
    assert (
        'data-testid="set-plan"'
        not in client.get(URL, custom(D(2030, 4, 1), D(2030, 4, 30))).content.decode()
    )


@pytest.mark.parametrize("who", ["manager", "rep", "admin_user"])
def test_the_drill_down_from_r_lists_exactly_the_customers_r_counted(
    who, request, rep, other_rep, team, other_team
):
    for owner, needs in ((rep, ["100", None, "300", None]), (other_rep, ["50", None])):
        for need in needs:
            CustomerFactory(owner=owner, need=None if need is None else Decimal(need), region="North")
    CustomerFactory(owner=rep, need=Decimal("70"), region="South")
    client = Client()
    client.force_login(request.getfixturevalue(who))
    for extra in ({}, {"region": "North"}):
        response = client.get(URL, custom(D(2025, 1, 1), D(2025, 3, 31), **extra))
        counted = response.context["data"].indicators.customers
        link = response.context["indicator_cards"][0].url
        listed = client.get(link).context["page"].paginator.count
        assert counted == listed and counted > 0


def test_a_co_managers_deals_count_in_the_team_view(db, rep, team):
    co = ManagerFactory()
    team.managers.add(co)
    DealFactory(
        owner=co, customer=CustomerFactory(owner=co), amount=Decimal("500"), expected_close=D(2030, 2, 1)
    )
    DealFactory(
        owner=rep, customer=CustomerFactory(owner=rep), amount=Decimal("200"), expected_close=D(2030, 2, 1)
    )
    RepFactory()  # in no team: not counted
    client = Client()
    client.force_login(co)
    response = client.get(URL, custom(D(2030, 1, 1), D(2030, 3, 31)))
    assert response.context["data"].scope.team_id == team.pk
    assert response.context["data"].summary.open_amount == Decimal("700.00")


def test_the_customer_list_keeps_the_has_need_filter_as_a_chip(db, rep, rep_client):
    CustomerFactory(owner=rep, need=Decimal("5"))
    CustomerFactory(owner=rep, need=None)
    response = rep_client.get(reverse("sales:customer_list"), {"has_need": "true"})
    assert response.context["page"].paginator.count == 1
    page = response.content.decode()
    assert '<input type="hidden" name="has_need" value="true">' in page
    assert "Has a need: yes" in page
    assert (
        rep_client.get(reverse("sales:customer_list"), {"has_need": "false"}).context["page"].paginator.count
        == 1
    )
