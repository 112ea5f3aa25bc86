"""Change history made readable (history_for) and its page partial."""

import pytest
from django.template.loader import render_to_string

from history.actor import acting_as
from history.readable import history_for, person
from people.names import display_name
from sales.models import Stage
from tests.factories import CustomerFactory, DealFactory, TeamFactory


def _edit(obj, by, **changes):
    with acting_as(by):
        for name, value in changes.items():
            setattr(obj, name, value)
        obj.save()


def test_it_lists_who_changed_what_newest_first_with_field_labels(rep):
    with acting_as(rep):
        customer = CustomerFactory(owner=rep, region="North", name="Acme")
    _edit(customer, rep, region="East")
    entries = history_for(customer)
    assert [e.action for e in entries] == ["updated", "created"]
    assert entries[0].who == rep.get_full_name()
    assert [(c.label, c.old, c.new) for c in entries[0].changes] == [("Region", "North", "East")]


def test_it_names_people_as_everywhere_else(rep, db):
    nameless = type(rep).objects.create(username="nameless")
    assert person(rep) == display_name(rep)
    assert person(nameless) == display_name(nameless) == "nameless"
    assert person(None) == display_name(None) == ""


def test_it_shows_names_for_ids_and_labels_for_choices(rep, manager):
    deal = DealFactory(owner=rep, customer__owner=rep)
    new_customer = CustomerFactory(owner=rep, name="Globex")
    deal.apply_edit({"customer": new_customer, "owner": manager}, version=deal.version)
    deal.move_to(Stage.objects.get(key="buy"), by=rep)
    moved, edited = history_for(deal)[:2]
    changes = {c.name: c for c in edited.changes}
    assert changes["customer"].new == "Globex"
    assert changes["owner"].old == rep.get_full_name()
    assert changes["owner"].new == manager.get_full_name()
    changes = {c.name: c for c in moved.changes}
    assert (changes["stage"].old, changes["stage"].new) == ("Lead", "Buy")
    assert (changes["status"].old, changes["status"].new) == ("Open", "Won")


def test_it_names_the_members_of_a_team(manager, rep, other_rep):
    team = TeamFactory(name="East", manager=manager, members=[rep])
    team.members.add(other_rep)
    change = history_for(team)[0].changes[0]
    assert change.label == "Members"
    assert change.old == rep.get_full_name()
    assert set(change.new.split(", ")) == {rep.get_full_name(), other_rep.get_full_name()}


def test_a_record_the_viewer_cannot_see_stays_an_id(rep, other_rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    hidden = CustomerFactory(owner=other_rep, name="Hidden Corp")
    deal.apply_edit({"customer": hidden}, version=deal.version)
    change = history_for(deal, user=rep)[0].changes[0]
    assert change.new == f"#{hidden.pk}"


@pytest.mark.parametrize("edits", [2, 4])
def test_it_runs_one_query_per_related_model_whatever_the_rows(
    rep, manager, django_assert_num_queries, edits
):
    deal = DealFactory(owner=rep, customer__owner=rep)
    others = [CustomerFactory(owner=rep) for _ in range(edits)]
    for customer in others:
        deal.apply_edit({"customer": customer, "amount": deal.amount + 1}, version=deal.version)
    # the rows with who made them, then the names of the customers, the owner and the stage they
    # mention (the "created" row names them all)
    with django_assert_num_queries(4):
        entries = history_for(deal)
    assert len(entries) == edits + 1


def test_the_partial_escapes_values(rep):
    customer = CustomerFactory(owner=rep, name="Acme")
    _edit(customer, rep, name="<script>alert(1)</script>")
    html = render_to_string("history/partials/history.html", {"history": history_for(customer)})
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Acme" in html


def test_the_partial_says_when_there_is_no_history(rep):
    html = render_to_string("history/partials/history.html", {"history": []})
    assert "No changes recorded yet." in html


def test_records_the_page_already_shows_are_named_without_a_query(rep, django_assert_num_queries):
    deal = DealFactory(owner=rep, customer__owner=rep)
    deal.move_to(Stage.objects.get(key="understand"), by=rep)
    stages = list(Stage.objects.all())
    # only the rows: the customer, owner and stages they name are all known
    with django_assert_num_queries(1):
        entries = history_for(deal, known=[*stages, deal.customer, deal.owner, None])
    changes = {c.name: c for c in entries[0].changes}
    assert (changes["stage"].old, changes["stage"].new) == ("Lead", "Understand")
    assert {c.name: c.new for c in entries[1].changes}["owner"] == rep.get_full_name()
