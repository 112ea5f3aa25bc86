"""A deal names a contact of its customer: form, API, import, export and the contact's page.

Also the activity form, whose deal select follows the chosen customer.
"""

import io

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from dataio.imports import Mapping, run_import
from history.models import ChangeLog
from sales.models import Deal
from tests.factories import ActivityFactory, ContactFactory, CustomerFactory, DealFactory, RepFactory

pytestmark = pytest.mark.django_db

NEW = reverse("sales:deal_create")


def _deal_post(customer, **extra) -> dict:
    return {
        "title": "Fleet",
        "customer": customer.pk,
        "amount": "100",
        "opened_on": timezone.localdate().isoformat(),
        **extra,
    }


# The activity form: deals of the chosen customer


def test_the_deal_options_of_a_customer_are_its_visible_open_deals(rep_client, rep, other_rep):
    mine = CustomerFactory(owner=rep)
    elsewhere = CustomerFactory(owner=rep)
    DealFactory(customer=mine, owner=rep, title="Fleet renewal")
    DealFactory(customer=elsewhere, owner=rep, title="Office chairs")
    DealFactory(customer=mine, owner=other_rep, title="Hidden expansion")
    response = rep_client.get(reverse("sales:deal_options"), {"customer": mine.pk})
    assert b"Fleet renewal" in response.content
    assert b"Office chairs" not in response.content
    assert b"Hidden expansion" not in response.content
    # Without a customer, every visible open deal.
    everything = rep_client.get(reverse("sales:deal_options")).content
    assert b"Fleet renewal" in everything and b"Office chairs" in everything


def test_the_deal_options_ignore_a_customer_id_that_makes_no_sense(rep_client, rep):
    DealFactory(customer=CustomerFactory(owner=rep), owner=rep, title="Fleet renewal")
    for bad in ("abc", "9" * 30, "-1"):
        response = rep_client.get(reverse("sales:deal_options"), {"customer": bad})
        assert response.status_code == 200
        assert b"Fleet renewal" in response.content


def test_the_activity_forms_customer_select_reloads_the_deals(rep_client, rep):
    CustomerFactory(owner=rep)
    response = rep_client.get(reverse("sales:activity_create"))
    html = response.content.decode()
    assert f'hx-get="{reverse("sales:deal_options")}"' in html
    assert 'hx-target="#id_deal"' in html


def test_an_activity_on_another_customers_deal_is_refused_and_kept(rep_client, rep):
    deal = DealFactory(customer=CustomerFactory(owner=rep), owner=rep)
    other = CustomerFactory(owner=rep)
    post = {"kind": "call", "subject": "Check in", "deal": deal.pk, "customer": other.pk, "done": "on"}
    response = rep_client.post(reverse("sales:activity_create"), post)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["customer"] == ["The deal belongs to another customer."]
    assert form["subject"].value() == "Check in"
    assert not deal.activities.exists()


# The deal form


def test_a_new_deal_names_a_contact_of_its_customer(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    contact = ContactFactory(customer=customer, name="Ada Lovelace")
    response = rep_client.post(NEW, _deal_post(customer, contact=contact.pk))
    assert response.status_code == 302
    deal = Deal.objects.get()
    assert deal.contact == contact
    page = rep_client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert "Ada Lovelace" in page
    assert reverse("sales:contact_detail", args=[contact.pk]) in page


def test_the_deal_form_refuses_another_customers_contact(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    stranger = ContactFactory(customer=CustomerFactory(owner=rep))
    response = rep_client.post(NEW, _deal_post(customer, contact=stranger.pk))
    assert response.status_code == 200
    assert response.context["form"].errors["contact"] == ["The contact works at another customer."]
    assert response.context["form"]["title"].value() == "Fleet"
    assert not Deal.objects.exists()


def test_the_deal_form_refuses_a_contact_of_another_rep(rep_client, rep, other_rep):
    customer = CustomerFactory(owner=rep)
    hidden = ContactFactory(customer=CustomerFactory(owner=other_rep))
    response = rep_client.post(NEW, _deal_post(customer, contact=hidden.pk))
    assert "contact" in response.context["form"].errors
    assert not Deal.objects.exists()


def test_the_contact_select_lists_the_chosen_customers_contacts(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    ContactFactory(customer=customer, name="Ada Lovelace")
    ContactFactory(customer=CustomerFactory(owner=rep), name="Grace Hopper")
    html = rep_client.get(NEW, {"customer": customer.pk}).content.decode()
    assert "Ada Lovelace" in html
    assert "Grace Hopper" not in html
    options = rep_client.get(reverse("customers:contact_options"), {"customer": customer.pk}).content
    assert b"Ada Lovelace" in options and b"Grace Hopper" not in options


def test_the_contact_options_hide_other_reps_contacts(rep_client, rep, other_rep):
    theirs = CustomerFactory(owner=other_rep)
    ContactFactory(customer=theirs, name="Grace Hopper")
    options = rep_client.get(reverse("customers:contact_options"), {"customer": theirs.pk}).content
    assert b"Grace Hopper" not in options


def test_editing_the_contact_is_recorded_in_the_history(rep_client, rep):
    deal = DealFactory(customer=CustomerFactory(owner=rep), owner=rep)
    contact = ContactFactory(customer=deal.customer)
    edit = reverse("sales:deal_edit", args=[deal.pk])
    form = rep_client.get(edit).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["contact"] = contact.pk
    response = rep_client.post(edit, data)
    assert response.status_code == 302, response.context["form"].errors
    deal.refresh_from_db()
    assert deal.contact == contact
    assert ChangeLog.objects.filter(object_id=deal.pk, changes__has_key="contact").exists()


# The API


def test_the_api_refuses_another_customers_contact_with_a_reason(rep, client):
    client.force_login(rep)
    customer = CustomerFactory(owner=rep)
    stranger = ContactFactory(customer=CustomerFactory(owner=rep))
    body = {"title": "Fleet", "customer": customer.pk, "contact": stranger.pk}
    response = client.post("/api/deals/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["contact"] == ["The contact works at another customer."]
    contact = ContactFactory(customer=customer, name="Ada")
    body["contact"] = contact.pk
    response = client.post("/api/deals/", body, content_type="application/json")
    assert response.status_code == 201
    assert (response.json()["contact"], response.json()["contact_name"]) == (contact.pk, "Ada")


def test_an_api_edit_checks_the_contact_against_the_kept_customer(rep, client):
    client.force_login(rep)
    deal = DealFactory(customer=CustomerFactory(owner=rep), owner=rep)
    stranger = ContactFactory(customer=CustomerFactory(owner=rep))
    body = {"version": deal.version, "contact": stranger.pk}
    response = client.patch(f"/api/deals/{deal.pk}/", body, content_type="application/json")
    assert response.status_code == 400
    assert "contact" in response.json()
    deal.refresh_from_db()
    assert deal.contact is None


# The contact's page


def test_the_contact_page_shows_their_deals_and_the_activities_on_them(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    contact = ContactFactory(customer=customer, name="Ada Lovelace", email="ada@example.com")
    deal = DealFactory(customer=customer, owner=rep, contact=contact, title="Engine order")
    DealFactory(customer=customer, owner=rep, title="Someone else's deal")
    ActivityFactory(deal=deal, customer=customer, owner=rep, subject="Demo of the engine")
    response = rep_client.get(reverse("sales:contact_detail", args=[contact.pk]))
    html = response.content.decode()
    assert "ada@example.com" in html
    assert "Engine order" in html and "Demo of the engine" in html
    assert "Someone else&#x27;s deal" not in html and "Someone else's deal" not in html


def test_a_rep_gets_404_on_another_reps_contact(rep_client, other_rep):
    contact = ContactFactory(customer=CustomerFactory(owner=other_rep))
    assert rep_client.get(reverse("sales:contact_detail", args=[contact.pk])).status_code == 404


def test_the_contact_page_leaves_out_another_reps_deal(manager_client, rep_client, rep, other_rep):
    customer = CustomerFactory(owner=rep)
    contact = ContactFactory(customer=customer)
    DealFactory(customer=customer, owner=other_rep, contact=contact, title="Their deal")
    response = rep_client.get(reverse("sales:contact_detail", args=[contact.pk]))
    assert response.context["deals"] == []


@pytest.mark.parametrize("n", [3, 6])
def test_the_contact_page_runs_a_fixed_number_of_queries(rep_client, rep, n, django_assert_num_queries):
    customer = CustomerFactory(owner=rep)
    contact = ContactFactory(customer=customer)
    for _ in range(n):
        deal = DealFactory(customer=customer, owner=rep, contact=contact)
        ActivityFactory(deal=deal, customer=customer, owner=rep)
    ContentType.objects.clear_cache()
    # session, user, contact with customer, deals with stage and owner, activities with owner and
    # deal, manager check (groups, managed teams).
    with django_assert_num_queries(7):
        response = rep_client.get(reverse("sales:contact_detail", args=[contact.pk]))
    assert len(response.context["deals"]) == n
    assert len(response.context["timeline"]) == n


# Import and export


def test_a_deal_import_names_the_contact_by_email_or_name(admin_user):
    rep = RepFactory(username="alice")
    customer = CustomerFactory(owner=rep, name="Acme")
    ada = ContactFactory(customer=customer, name="Ada Lovelace", email="ada@acme.test")
    grace = ContactFactory(customer=customer, name="Grace Hopper", email="grace@acme.test")
    mapping = Mapping.from_dict(
        {
            "kind": "deals",
            "fields": {
                "external_id": "Ref",
                "title": "Deal",
                "customer": {"column": "Company", "match": "name"},
                "contact": "Contact",
                "opened_on": "Opened",
            },
        }
    )
    text = (
        "Ref,Deal,Company,Contact,Opened\n"
        "D-1,Engines,Acme,ADA@acme.test,2024-01-05\n"
        "D-2,Looms,Acme,grace hopper,2024-01-06\n"
        "D-3,Gears,Acme,,2024-01-07\n"
    )
    report = run_import(text.encode(), "deals.csv", mapping, user=admin_user)
    assert report.problems == [], report.problems
    contacts = dict(Deal.objects.values_list("external_id", "contact"))
    assert contacts == {"D-1": ada.pk, "D-2": grace.pk, "D-3": None}


def test_a_deal_import_refuses_a_contact_the_customer_does_not_have(admin_user):
    rep = RepFactory(username="alice")
    CustomerFactory(owner=rep, name="Acme")
    ContactFactory(customer=CustomerFactory(owner=rep, name="Other"), name="Ada Lovelace")
    mapping = Mapping.from_dict(
        {
            "kind": "deals",
            "fields": {
                "title": "Deal",
                "customer": {"column": "Company", "match": "name"},
                "contact": "Contact",
            },
        }
    )
    report = run_import(
        b"Deal,Company,Contact\nEngines,Acme,Ada Lovelace\n", "d.csv", mapping, user=admin_user
    )
    assert len(report.problems) == 1
    assert report.problems[0].reason == "Acme has no contact “Ada Lovelace”."
    assert not Deal.objects.exists()


def test_the_deal_export_has_a_contact_column(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    DealFactory(customer=customer, owner=rep, contact=ContactFactory(customer=customer, name="Ada Lovelace"))
    response = rep_client.get(reverse("dataio:deal_export"), {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("Contact")
    assert rows[1][column] == "Ada Lovelace"


@pytest.mark.parametrize("customer", [str(2**64), "12abc", ""])
def test_a_customer_id_that_makes_no_sense_is_a_field_error(rep_client, rep, customer):
    response = rep_client.post(NEW, {"title": "Fleet", "customer": customer, "amount": "1"})
    assert response.status_code == 200
    assert "customer" in response.context["form"].errors
    options = rep_client.get(reverse("customers:contact_options"), {"customer": customer})
    assert options.status_code == 200


def test_the_deal_search_of_the_activity_form_sends_the_chosen_customer(rep_client, rep, monkeypatch):
    monkeypatch.setattr("crm.forms.PICKER_LIMIT", 1)
    customer = CustomerFactory(owner=rep)
    DealFactory(customer=customer, owner=rep)
    DealFactory(customer=customer, owner=rep)
    html = rep_client.get(reverse("sales:activity_create")).content.decode()
    assert 'name="deal_q"' in html
    assert 'hx-include="this, #id_customer"' in html


def test_admin_names_a_contact_and_refuses_another_customers(admin_client_, rep):
    from tests.test_admin import deal_form

    deal = DealFactory(owner=rep, customer=CustomerFactory(owner=rep))
    url = reverse("admin:sales_deal_change", args=[deal.pk])
    stranger = ContactFactory(customer=CustomerFactory(owner=rep))
    response = admin_client_.post(url, deal_form(deal, contact=stranger.pk))
    assert response.status_code == 200
    assert "The contact works at another customer." in response.content.decode()
    own = ContactFactory(customer=deal.customer)
    response = admin_client_.post(url, deal_form(deal, contact=own.pk))
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.contact == own
