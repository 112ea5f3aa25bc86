"""The model layer keeps the history: save(), delete(), the deal verbs and team members."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import ProtectedError
from django.test import RequestFactory

from customers.models import Customer
from history.actor import acting_as, acting_for, current_actor
from history.middleware import ActorMiddleware
from history.models import ChangeLog, Tracked, tracked_models
from people.models import Team
from sales.models import (
    Activity,
    Deal,
    LostReason,
    PipelineSettings,
    Product,
    SalesPlan,
    SalesRecord,
    Stage,
    StaleEdit,
)
from tests.factories import ActivityFactory, CustomerFactory, DealFactory, TeamFactory, lost_reason


def rows(obj, action: str = ChangeLog.Action.UPDATED) -> list[ChangeLog]:
    return list(ChangeLog.objects.for_object(obj).filter(action=action).order_by("pk"))


def test_every_model_people_edit_is_tracked():
    from customers.models import Contact

    assert set(tracked_models()) == {
        Customer,
        Contact,
        Deal,
        Activity,
        SalesRecord,
        SalesPlan,
        Stage,
        Product,
        LostReason,
        Team,
        PipelineSettings,
    }


def test_a_new_row_records_its_values_and_who_made_it(rep):
    with acting_as(rep):
        customer = CustomerFactory(owner=rep, name="Acme", need=Decimal("10"))
    (row,) = rows(customer, ChangeLog.Action.CREATED)
    assert row.changed_by == rep
    assert row.changes["name"] == ["", "Acme"]
    assert row.changes["need"] == ["", "10.00"]
    assert row.changes["owner"] == ["", str(rep.pk)]
    assert "created_at" not in row.changes and "id" not in row.changes


def test_a_save_records_the_changed_fields_once_and_an_unchanged_save_nothing(rep):
    customer = CustomerFactory(owner=rep, region="North", need=Decimal("1000.00"))
    customer = Customer.objects.get(pk=customer.pk)
    customer.region = "East"
    customer.need = Decimal("1000")  # the same amount as a form gives it
    with acting_as(rep):
        customer.save()
        customer.save()
    (row,) = rows(customer)
    assert (row.changes, row.changed_by) == ({"region": ["North", "East"]}, rep)


def test_update_fields_limit_what_is_recorded_and_the_rest_waits_for_its_save(rep):
    activity = ActivityFactory(customer__owner=rep, owner=rep, subject="Call")
    activity = Activity.objects.get(pk=activity.pk)
    activity.subject = "Call back"
    activity.complete(outcome="Reached")
    first = rows(activity)
    assert set(first[0].changes) == {"done_at", "outcome"}
    activity.save()
    assert rows(activity)[1].changes == {"subject": ["Call", "Call back"]}


def test_a_refreshed_row_does_not_claim_changes_made_elsewhere(rep):
    customer = CustomerFactory(owner=rep, region="North", industry="Software")
    stale = Customer.objects.get(pk=customer.pk)
    Customer.objects.get(pk=customer.pk).save()  # nothing changed: no row
    other = Customer.objects.get(pk=customer.pk)
    other.region = "South"
    other.save()
    stale.refresh_from_db()
    stale.industry = "Retail"
    stale.save()
    assert [r.changes for r in rows(customer)] == [
        {"region": ["North", "South"]},
        {"industry": ["Software", "Retail"]},
    ]


def test_a_field_read_later_is_compared_with_what_was_read(rep):
    customer = CustomerFactory(owner=rep, region="North", notes="old")
    partial = Customer.objects.only("pk", "name").get(pk=customer.pk)
    partial.region = "West"  # reads the deferred field first, then changes it
    partial.save()
    assert rows(customer)[0].changes == {"region": ["North", "West"]}


def test_a_delete_records_what_was_deleted_and_by_whom(rep):
    customer = CustomerFactory(owner=rep, name="Gone Ltd")
    pk = customer.pk
    with acting_as(rep):
        customer.delete()
    row = ChangeLog.objects.get(object_id=pk, action=ChangeLog.Action.DELETED)
    assert row.changed_by == rep
    assert row.changes["name"] == ["Gone Ltd", ""]


def test_a_refused_delete_records_nothing_and_keeps_the_transaction_usable(rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    with transaction.atomic(), pytest.raises(ProtectedError):
        deal.customer.delete()
    assert not ChangeLog.objects.filter(action=ChangeLog.Action.DELETED).exists()
    assert Customer.objects.filter(pk=deal.customer_id).exists()


def test_the_deal_verbs_record_their_writes_as_field_changes(rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    deal.set_probability(Decimal("35"))
    deal.move_to(Stage.objects.get(key="choose"), by=rep)
    deal.mark_lost(lost_reason(), note="No budget", by=rep)
    moves = [r.changes for r in rows(deal)]
    assert moves[0] == {"probability": ["10.00", "35.00"], "probability_overridden": ["False", "True"]}
    assert set(moves[1]) == {"stage"}  # the probability was set by hand, so it stays
    assert set(moves[2]) == {"status", "lost_reason", "lost_note", "closed_on"}
    assert all(r.changed_by == rep for r in rows(deal)[1:])


def test_a_refused_stale_write_records_nothing(rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    stale = Deal.objects.get(pk=deal.pk)
    deal.apply_edit({"title": "Mine"}, version=deal.version)
    with pytest.raises(StaleEdit):
        stale.apply_edit({"title": "Theirs"}, version=stale.version)
    assert [r.changes for r in rows(deal)] == [{"title": [stale.title, "Mine"]}]


def test_a_later_save_of_a_deal_does_not_repeat_what_a_verb_recorded(rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    deal.move_to(Stage.objects.get(key="understand"), by=rep)
    deal.save()
    assert len(rows(deal)) == 1


def test_team_members_added_and_removed_are_recorded(manager, rep, other_rep):
    team = TeamFactory(name="East", manager=manager, members=[rep])
    with acting_as(manager):
        team.members.add(rep)  # already a member: nothing to record
        team.members.add(other_rep)
        team.members.remove(rep)
        team.members.clear()
    changes = [r.changes["members"] for r in rows(team)]
    assert changes[-3:] == [
        [str(rep.pk), ",".join(sorted([str(rep.pk), str(other_rep.pk)]))],
        [",".join(sorted([str(rep.pk), str(other_rep.pk)])), str(other_rep.pk)],
        [str(other_rep.pk), ""],
    ]
    assert rows(team)[-1].changed_by == manager


def test_the_actor_is_read_when_a_change_is_saved_and_reset_after(rep):
    request = RequestFactory().get("/")
    with acting_for(request):
        assert current_actor() is None  # not signed in yet
        request.user = rep
        assert current_actor() == rep
        with acting_as(None):
            assert current_actor() is None
        assert current_actor() == rep
    assert current_actor() is None


def test_the_middleware_names_the_requests_user_for_the_request_only(rep):
    seen = []
    middleware = ActorMiddleware(lambda request: seen.append(current_actor()) or "response")
    request = RequestFactory().get("/")
    request.user = rep
    assert middleware(request) == "response"
    assert seen == [rep]
    assert current_actor() is None


def test_a_tracked_model_is_never_a_concrete_parent():
    assert Tracked._meta.abstract
