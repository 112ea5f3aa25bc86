"""Customer pages: list, detail, create and edit, contacts and the activity log, as each persona."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from customers.models import Contact, Customer
from history.models import ChangeLog
from sales.models import Activity
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    CustomerFactory,
    DealFactory,
    SalesRecordFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("sales:customer_list")
NEW = reverse("customers:customer_create")


def detail(customer) -> str:
    return reverse("sales:customer_detail", args=[customer.pk])


def test_the_list_shows_only_the_reps_own_customers(rep_client, rep, other_rep):
    CustomerFactory(name="Mine Ltd", owner=rep)
    CustomerFactory(name="Theirs Ltd", owner=other_rep)
    response = rep_client.get(LIST)
    assert response.status_code == 200
    assert [c.name for c in response.context["customers"]] == ["Mine Ltd"]
    assert b"Theirs Ltd" not in response.content


def test_a_manager_sees_the_teams_customers_and_can_filter_by_owner(manager_client, manager, rep):
    CustomerFactory(name="Rep's", owner=rep)
    CustomerFactory(name="Manager's", owner=manager)
    response = manager_client.get(LIST)
    assert sorted(c.name for c in response.context["customers"]) == ["Manager's", "Rep's"]
    assert {u.pk for u in response.context["owners"]} == {rep.pk, manager.pk}
    response = manager_client.get(LIST, {"owner": rep.pk})
    assert [c.name for c in response.context["customers"]] == ["Rep's"]


def test_a_rep_gets_no_owner_filter(rep_client, rep):
    response = rep_client.get(LIST)
    assert response.context["owners"] == []
    assert b'name="owner"' not in response.content


def test_the_list_searches_and_filters(rep_client, rep):
    CustomerFactory(name="Acme", region="North", owner=rep)
    CustomerFactory(name="Bolt", region="South", owner=rep)
    response = rep_client.get(LIST, {"q": "acm"})
    assert [c.name for c in response.context["customers"]] == ["Acme"]
    response = rep_client.get(LIST, {"region": "south"})
    assert [c.name for c in response.context["customers"]] == ["Bolt"]


def test_nonsense_filters_are_ignored_and_named(rep_client, rep):
    CustomerFactory(owner=rep)
    response = rep_client.get(LIST, {"owner": "x", "sort": "password"})
    assert response.status_code == 200
    assert len(response.context["customers"]) == 1
    assert b"Ignored filters" in response.content


def test_the_list_pages_by_25_and_the_page_links_keep_the_filters(rep_client, rep):
    CustomerFactory.create_batch(30, owner=rep, region="West")
    response = rep_client.get(LIST, {"region": "West"})
    assert len(response.context["customers"]) == 25
    assert b"region=West&amp;page=2" in response.content
    response = rep_client.get(LIST, {"region": "West", "page": 2})
    assert len(response.context["customers"]) == 5


def test_the_list_answers_htmx_with_the_table_only(rep_client, rep):
    CustomerFactory(owner=rep)
    response = rep_client.get(LIST, headers={"HX-Request": "true"})
    assert [t.name for t in response.templates][0] == "sales/partials/customer_table.html"
    assert b"<html" not in response.content


def test_the_empty_list_invites_to_create_the_first_customer(rep_client):
    response = rep_client.get(LIST)
    assert b"No customers yet" in response.content


def test_the_detail_page_shows_contacts_deals_records_need_and_timeline(rep_client, rep):
    customer = CustomerFactory(owner=rep, need=Decimal("12345.00"))
    ContactFactory(customer=customer, name="Ada Buyer")
    deal = DealFactory(customer=customer, owner=rep, title="Big licence")
    SalesRecordFactory(customer=customer, owner=rep, amount=Decimal("777.00"))
    ActivityFactory(customer=customer, owner=rep, subject="Called the buyer")
    ActivityFactory(customer=customer, deal=deal, owner=rep, subject="Demo on the deal")
    response = rep_client.get(detail(customer))
    body = response.content.decode()
    for text in ("Ada Buyer", "Big licence", "777.00", "12,345.00", "Called the buyer", "Demo on the deal"):
        assert text in body


def test_another_reps_customer_is_a_404(other_rep_client, rep):
    customer = CustomerFactory(owner=rep)
    assert other_rep_client.get(detail(customer)).status_code == 404
    edit = reverse("customers:customer_edit", args=[customer.pk])
    assert other_rep_client.get(edit).status_code == 404


def test_a_rep_creates_a_customer_they_own_and_history_records_it(rep_client, rep):
    response = rep_client.post(NEW, {"name": "  New   Co ", "kind": "company", "need": "5000"})
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail(customer)
    assert customer.name == "New Co"
    assert customer.owner == rep
    log = ChangeLog.objects.for_object(customer).get()
    assert log.action == "created"
    assert log.changed_by == rep


def test_a_rep_cannot_hand_a_customer_to_someone_else(rep_client, rep, other_rep):
    rep_client.post(NEW, {"name": "Sneaky", "kind": "company", "owner": other_rep.pk})
    assert Customer.objects.get().owner == rep


def test_a_manager_may_choose_an_owner_among_the_team_only(manager_client, manager, rep, other_rep):
    response = manager_client.get(NEW)
    assert response.context["form"].initial["owner"] == manager.pk
    manager_client.post(NEW, {"name": "For the rep", "kind": "company", "owner": rep.pk})
    assert Customer.objects.get().owner == rep
    response = manager_client.post(NEW, {"name": "Outside", "kind": "company", "owner": other_rep.pk})
    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    assert Customer.objects.count() == 1


def test_the_form_shows_field_errors_and_keeps_what_was_typed(rep_client):
    response = rep_client.post(
        NEW, {"name": "", "kind": "company", "email": "not-an-email", "region": "Far East"}
    )
    form = response.context["form"]
    assert response.status_code == 200
    assert set(form.errors) == {"name", "email"}
    body = response.content.decode()
    assert 'value="Far East"' in body
    assert 'value="not-an-email"' in body
    assert "is-invalid" in body
    assert Customer.objects.count() == 0


def test_a_negative_need_is_refused(rep_client):
    response = rep_client.post(NEW, {"name": "X", "kind": "company", "need": "-1"})
    assert "need" in response.context["form"].errors


def test_editing_records_the_changed_fields(rep_client, rep):
    customer = CustomerFactory(owner=rep, region="North")
    url = reverse("customers:customer_edit", args=[customer.pk])
    response = rep_client.post(url, {"name": customer.name, "kind": "company", "region": "South"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.region == "South"
    assert customer.owner == rep
    log = ChangeLog.objects.for_object(customer).get(action=ChangeLog.Action.UPDATED)
    assert log.changes["region"] == ["North", "South"]


def test_contacts_are_added_in_place_with_htmx(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    url = reverse("sales:contact_create", args=[customer.pk])
    response = rep_client.post(
        url, {"name": "Grace", "email": "g@example.com"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b"Grace" in response.content
    assert b"<html" not in response.content
    assert customer.contacts.get().name == "Grace"


def test_an_invalid_contact_shows_its_errors_and_input(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    url = reverse("sales:contact_create", args=[customer.pk])
    response = rep_client.post(
        url, {"name": "", "email": "bad", "title": "CTO"}, headers={"HX-Request": "true"}
    )
    assert b"is-invalid" in response.content
    assert b'value="CTO"' in response.content
    assert Contact.objects.count() == 0


def test_a_contact_is_edited_on_its_own_page(rep_client, rep):
    contact = ContactFactory(customer=CustomerFactory(owner=rep), name="Old name")
    url = reverse("customers:contact_edit", args=[contact.pk])
    assert rep_client.get(url).status_code == 200
    response = rep_client.post(url, {"name": "New name"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.name == "New name"


def test_adding_a_contact_to_another_reps_customer_is_a_404(other_rep_client, rep):
    customer = CustomerFactory(owner=rep)
    url = reverse("sales:contact_create", args=[customer.pk])
    assert other_rep_client.post(url, {"name": "Intruder"}).status_code == 404
    assert Contact.objects.count() == 0


def test_an_activity_logged_on_the_customer_page_joins_the_timeline(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    url = reverse("sales:customer_log_activity", args=[customer.pk])
    response = rep_client.post(
        url, {"kind": "call", "subject": "Intro call", "done": "on"}, headers={"HX-Request": "true"}
    )
    assert b"Intro call" in response.content
    activity = Activity.objects.get()
    assert (activity.customer, activity.owner, activity.is_done) == (customer, rep, True)


def _customers_with_everything(rep, n: int) -> Customer:
    for _ in range(n):
        CustomerFactory(owner=rep)
    customer = CustomerFactory(owner=rep)
    for i in range(n):
        ContactFactory(customer=customer)
        deal = DealFactory(customer=customer, owner=rep, title=f"Deal {i}")
        SalesRecordFactory(customer=customer, owner=rep)
        ActivityFactory(customer=customer, deal=deal, owner=rep)
    return customer


@pytest.mark.parametrize("n", [3, 6])
def test_the_list_runs_a_fixed_number_of_queries(rep_client, rep, n, django_assert_num_queries):
    _customers_with_everything(rep, n)
    # session, user, COUNT for the paginator, the page of customers with their owners, the open-deal
    # counts of that page, the region, channel and industry values the bar offers (one query),
    # manager check (groups, managed teams).
    with django_assert_num_queries(8):
        response = rep_client.get(LIST)
    rows = response.context["customers"]
    assert len(rows) == n + 1
    assert sorted(c.open_deals for c in rows) == [0] * n + [n]


@pytest.mark.parametrize("n", [3, 6])
def test_the_detail_page_runs_a_fixed_number_of_queries(rep_client, rep, n, django_assert_num_queries):
    customer = _customers_with_everything(rep, n)
    ContentType.objects.clear_cache()  # else the count depends on which test ran before
    # session, user, customer with owner, contacts, deals with stage and owner, sales records, their
    # count and sum, the activity timeline, content type and change history (history_for), manager
    # check (groups, managed teams), the customer's open deals for the activity form's choice,
    # Suggested next: the customer's own purchases and the stored rows they need (the suggested
    # products' query runs only when there is something to suggest; see test_recommend_views.py).
    with django_assert_num_queries(15):
        response = rep_client.get(detail(customer))
    assert len(response.context["deals"]) == n
