"""Pages that list related records show only the ones the viewer may see, and keep their own."""

import pytest
from django.urls import reverse

from sales.models import Activity, Stage
from tests.factories import ActivityFactory, CustomerFactory, DealFactory, RepFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_customer(rep, other_rep, other_team):
    """The rep's customer, on which a rep of another team has a deal (say, from before a handover)."""
    customer = CustomerFactory(name="Handed Over Ltd", owner=rep)
    theirs = DealFactory(title="Their secret deal", customer=customer, owner=other_rep)
    ActivityFactory(subject="Their secret call", customer=customer, deal=theirs, owner=other_rep)
    return customer


def test_a_customer_page_lists_only_the_deals_the_viewer_may_see(rep_client, rep, shared_customer):
    mine = DealFactory(title="My deal", customer=shared_customer, owner=rep)
    response = rep_client.get(reverse("sales:customer_detail", args=[shared_customer.pk]))
    assert response.status_code == 200
    assert [d.pk for d in response.context["deals"]] == [mine.pk]
    assert b"Their secret deal" not in response.content


def test_a_customer_timeline_leaves_out_activities_on_deals_the_viewer_may_not_see(
    rep_client, rep, shared_customer
):
    ActivityFactory(subject="My call", customer=shared_customer, owner=rep)
    response = rep_client.get(reverse("sales:customer_detail", args=[shared_customer.pk]))
    assert [e.item.subject for e in response.context["timeline"]] == ["My call"]
    assert b"Their secret call" not in response.content


def test_the_customer_activity_refresh_leaves_them_out_too(rep_client, shared_customer):
    response = rep_client.post(
        reverse("sales:customer_log_activity", args=[shared_customer.pk]),
        {"kind": "note", "subject": "Mine", "done": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert [e.item.subject for e in response.context["timeline"]] == ["Mine"]


def test_a_customer_timeline_keeps_a_teammates_call_on_the_customer_itself(rep_client, rep, team):
    # The customer is the rep's, so notes about it are part of its record, whoever wrote them.
    customer = CustomerFactory(owner=rep)
    ActivityFactory(subject="Manager dropped by", customer=customer, owner=team.manager)
    response = rep_client.get(reverse("sales:customer_detail", args=[customer.pk]))
    assert [e.item.subject for e in response.context["timeline"]] == ["Manager dropped by"]


def test_editing_an_activity_on_a_won_deal_keeps_its_deal(rep_client, rep):
    deal = DealFactory(owner=rep, customer=CustomerFactory(owner=rep))
    deal.move_to(Stage.objects.get(key="buy"), by=rep)
    activity = ActivityFactory(subject="Kick-off", deal=deal, customer=deal.customer, owner=rep)
    url = reverse("sales:activity_edit", args=[activity.pk])
    page = rep_client.get(url)
    assert f'<option value="{deal.pk}" selected>'.encode() in page.content
    response = rep_client.post(
        url,
        {
            "kind": "call",
            "subject": "Kick-off call",
            "deal": deal.pk,
            "customer": deal.customer_id,
            "done": "on",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    activity.refresh_from_db()
    assert (activity.subject, activity.deal_id) == ("Kick-off call", deal.pk)


def test_a_new_activity_still_cannot_pick_a_closed_deal(rep_client, rep):
    deal = DealFactory(owner=rep, customer=CustomerFactory(owner=rep))
    deal.move_to(Stage.objects.get(key="buy"), by=rep)
    response = rep_client.post(
        reverse("sales:activity_create"), {"kind": "call", "subject": "Late", "deal": deal.pk, "done": "on"}
    )
    assert response.status_code == 200
    assert "deal" in response.context["form"].errors
    assert not Activity.objects.filter(subject="Late").exists()


def test_editing_an_activity_cannot_move_it_to_another_reps_deal(rep_client, rep, other_rep, other_team):
    theirs = DealFactory(owner=other_rep, customer=CustomerFactory(owner=other_rep))
    activity = ActivityFactory(owner=rep, customer=CustomerFactory(owner=rep))
    response = rep_client.post(
        reverse("sales:activity_edit", args=[activity.pk]),
        {"kind": "call", "subject": "x", "deal": theirs.pk, "done": "on"},
    )
    assert response.status_code == 200
    assert "deal" in response.context["form"].errors


def test_a_rep_can_edit_their_deal_on_a_teammates_customer(rep_client, rep, team):
    # A manager may open a deal for one rep on another rep's customer; its owner must still edit it.
    teammate = RepFactory(username="teammate")
    team.members.add(teammate)
    deal = DealFactory(owner=rep, customer=CustomerFactory(owner=teammate))
    url = reverse("sales:deal_edit", args=[deal.pk])
    form = rep_client.get(url).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data["amount"] = "2500"
    response = rep_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    deal.refresh_from_db()
    assert (deal.amount, deal.customer_id) == (2500, deal.customer_id)
