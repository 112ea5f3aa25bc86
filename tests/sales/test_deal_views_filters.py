"""The deal and customer list filters (sales/filters/), shared by the lists, dashboard and exports."""

import datetime
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.utils import timezone

from customers.models import Customer
from sales.filters.customers import CustomerFilterSet
from sales.filters.deals import DealFilterSet
from sales.models import Deal, Stage
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    DealFactory,
    ProductFactory,
    RepFactory,
    TeamFactory,
    lost_reason,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 15)


def _deals(query: str) -> tuple[list[str], DealFilterSet]:
    filters = DealFilterSet(QueryDict(query), Deal.objects.all(), today=TODAY, stale_days=14)
    return [d.title for d in filters.qs], filters


def test_it_searches_deal_titles_and_customer_names():
    DealFactory(title="Alpha roll-out", customer=CustomerFactory(name="Zeta Ltd"))
    DealFactory(title="Beta", customer=CustomerFactory(name="Alpha Corp"))
    DealFactory(title="Gamma")
    titles, filters = _deals("q=alpha")
    assert sorted(titles) == ["Alpha roll-out", "Beta"]
    assert filters.applied == {"q": "alpha"}


def test_it_filters_by_several_stages_and_reports_unknown_ones():
    DealFactory(title="L", stage="lead")
    DealFactory(title="U", stage="understand")
    DealFactory(title="C", stage="choose")
    titles, filters = _deals("stage=lead&stage=choose&stage=nonsense")
    assert sorted(titles) == ["C", "L"]
    assert filters.applied["stage"] == ["lead", "choose"]
    assert filters.invalid == ("stage",)


def test_it_ignores_invalid_values_instead_of_failing():
    DealFactory(title="A")
    titles, filters = _deals(
        "status=maybe&owner=abc&team=-1&closed_from=yesterday&sort=drop+table&risk=x&reached=zzz"
        "&owner=99999999999999999999999"
    )
    assert titles == ["A"]
    assert filters.applied == {}
    assert set(filters.invalid) == {"status", "owner", "team", "closed_from", "sort", "risk", "reached"}


def test_it_filters_by_status_owner_and_team():
    member, outsider = RepFactory(), RepFactory()
    team = TeamFactory(members=[member])
    DealFactory(title="member's", owner=member, customer=CustomerFactory(owner=member))
    DealFactory(title="manager's", owner=team.manager, customer=CustomerFactory(owner=team.manager))
    lost = DealFactory(title="outsider's", owner=outsider, customer=CustomerFactory(owner=outsider))
    lost.mark_lost(lost_reason(), note="price", by=outsider)
    assert sorted(_deals(f"team={team.pk}")[0]) == ["manager's", "member's"]
    assert _deals(f"owner={member.pk}")[0] == ["member's"]
    assert _deals("status=lost")[0] == ["outsider's"]


def test_it_filters_by_region_channel_and_category():
    DealFactory(title="north", customer=CustomerFactory(region="North"), channel="Web")
    DealFactory(title="south", customer=CustomerFactory(region="South"), channel="Fair")
    DealFactory(title="licence", product=ProductFactory(category="Licences"))
    # The factory's customers are in the North unless told otherwise.
    assert sorted(_deals("region=north")[0]) == ["licence", "north"]
    assert _deals("region=south")[0] == ["south"]
    assert _deals("channel=fair")[0] == ["south"]
    assert _deals("category=Licences")[0] == ["licence"]


def test_it_filters_by_date_ranges():
    DealFactory(title="early", opened_on=TODAY - datetime.timedelta(days=90), expected_close=TODAY)
    DealFactory(title="late", opened_on=TODAY - datetime.timedelta(days=5), expected_close=None)
    assert _deals(f"opened_from={TODAY - datetime.timedelta(days=10)}")[0] == ["late"]
    assert _deals(f"opened_to={TODAY - datetime.timedelta(days=10)}")[0] == ["early"]
    assert _deals(f"close_from={TODAY}&close_to={TODAY}")[0] == ["early"]


def test_it_filters_by_closed_on_range():
    won = DealFactory(title="won")
    won.move_to(Stage.objects.get(key="buy"), by=won.owner)
    DealFactory(title="open")
    today = timezone.localdate()
    assert _deals(f"closed_from={today}&closed_to={today}")[0] == ["won"]


def test_it_finds_deals_that_reached_a_stage_even_after_moving_on():
    passed = DealFactory(title="passed")
    passed.move_to(Stage.objects.get(key="choose"), by=passed.owner)
    passed.move_to(Stage.objects.get(key="buy"), by=passed.owner)
    DealFactory(title="still lead")
    assert _deals("reached=choose")[0] == ["passed"]
    assert sorted(_deals("reached=lead")[0]) == ["passed", "still lead"]


def test_it_filters_deals_at_risk():
    old = TODAY - datetime.timedelta(days=60)
    DealFactory(title="stale", opened_on=old, expected_close=TODAY + datetime.timedelta(days=9))
    busy = DealFactory(title="busy", opened_on=old, expected_close=TODAY + datetime.timedelta(days=9))
    ActivityFactory(
        deal=busy,
        customer=busy.customer,
        done_at=timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(9))),
    )
    DealFactory(title="overdue", opened_on=TODAY, expected_close=TODAY - datetime.timedelta(days=1))
    slipped = DealFactory(title="slipped", opened_on=TODAY, expected_close=TODAY)
    slipped.apply_edit({"expected_close": TODAY + datetime.timedelta(days=30)}, version=slipped.version)
    assert _deals("risk=stale")[0] == ["stale"]
    assert _deals("risk=overdue")[0] == ["overdue"]
    assert _deals("risk=slipped")[0] == ["slipped"]


def test_it_sorts_by_a_whitelisted_column_either_way():
    DealFactory(title="small", amount=Decimal("10"))
    DealFactory(title="big", amount=Decimal("900"))
    DealFactory(title="mid", amount=Decimal("300"))
    assert _deals("sort=amount")[0] == ["small", "mid", "big"]
    assert _deals("sort=-amount")[0] == ["big", "mid", "small"]


def test_it_never_widens_the_queryset_it_is_given():
    mine, theirs = RepFactory(), RepFactory()
    DealFactory(title="mine", owner=mine, customer=CustomerFactory(owner=mine))
    DealFactory(title="theirs", owner=theirs, customer=CustomerFactory(owner=theirs))
    filters = DealFilterSet(
        QueryDict(f"owner={theirs.pk}"), Deal.objects.visible_to(mine), today=TODAY, stale_days=14
    )
    assert list(filters.qs) == []


def test_customer_filters_search_filter_and_sort():
    rep = RepFactory()
    CustomerFactory(name="Acme", region="North", industry="Retail", need=Decimal("5"), owner=rep)
    CustomerFactory(name="Bolt", region="South", industry="Software", need=Decimal("50"))
    CustomerFactory(name="Acorn", region="South", industry="Retail", need=None)

    def names(query: str) -> list[str]:
        return [c.name for c in CustomerFilterSet(QueryDict(query), Customer.objects.all()).qs]

    assert names("q=ac") == ["Acme", "Acorn"]
    assert names("region=south&industry=retail") == ["Acorn"]
    assert names(f"owner={rep.pk}") == ["Acme"]
    assert names("sort=-need") == ["Bolt", "Acme", "Acorn"]
    filters = CustomerFilterSet(QueryDict("sort=password&owner=x"), Customer.objects.all())
    assert filters.qs.count() == 3
    assert filters.invalid == ("owner", "sort")
