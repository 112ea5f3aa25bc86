"""A customer's personal data: exported whole for an administrator, and erased everywhere (history,
audit log, other rows' text) while amounts, dates and stages stay, so every total still adds up."""

import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.db.models import Count, Sum
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from customers.models import Contact, Customer
from history.models import ChangeLog
from sales.models import Activity, Deal, SalesRecord
from sales.privacy import erase_customer
from tests.factories import ContactFactory, CustomerFactory, DealFactory, RepFactory, SalesRecordFactory

# Distinctive values: found nowhere unless this customer put them there.
FIRST_NAME = "Quorvanth Ysselbrook"
NAME = "Quorvanth Ysselbrook-Tarn"
FIRST_EMAIL = "q.ysselbrook@oldmail-privacy.example"
EMAIL = "quorvanth@privacy-test.example"
PHONE = "+44 7700 900917"
ADDRESS = "17 Wrenfeather Close, Lower Skeldon"
NOTES = "Met at the Brackwater fair"
CONTACT_NAME = "Ilvaria Montcrieff"
CONTACT_EMAIL = "ilvaria.m@privacy-test.example"
CONTACT_PHONE = "+44 7700 900552"
DEAL_TITLE = "Ysselbrook conservatory fit-out"
ACTIVITY_NOTES = "Ilvaria mentioned her knee surgery in March"
RECORD_NOTE = "Paid by Ysselbrook family trust"
PERSONAL = [
    FIRST_NAME,
    NAME,
    FIRST_EMAIL,
    EMAIL,
    PHONE,
    ADDRESS,
    NOTES,
    CONTACT_NAME,
    CONTACT_EMAIL,
    CONTACT_PHONE,
    DEAL_TITLE,
    ACTIVITY_NOTES,
    RECORD_NOTE,
]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def import_customer(admin_user, rep) -> Customer:
    """The customer arrives by import (the admin's browser import), with a first name and email."""
    client = browser(admin_user)
    text = f"Name,Email,Owner\n{FIRST_NAME},{FIRST_EMAIL},{rep.username}\n"
    client.post(
        reverse("dataio:import_upload"),
        {"kind": "customers", "file": SimpleUploadedFile("leads.csv", text.encode(), "text/csv")},
    )
    form = client.get(reverse("dataio:import_map")).context["form"]
    data = {n: (form[n].value() or "") for n in form.fields}
    client.post(reverse("dataio:import_map"), {**data, "preview": "1"})
    assert client.post(reverse("dataio:import_commit")).status_code == 302
    return Customer.objects.get(name=FIRST_NAME)


@pytest.fixture
def book(rep, team, admin_user):
    """The customer's data entered through every door: import, pages, API, admin and an export."""
    customer = import_customer(admin_user, rep)
    assert customer.owner == rep
    rep_page = _entered_by_the_rep(customer, rep)
    _edited_by_the_admin(customer, rep, admin_user)
    b"".join(rep_page.get("/customers/export/", {"q": NAME}).streaming_content)

    # Someone else's customer, whose figures and text must not move.
    other = CustomerFactory(owner=rep, name="Unrelated Holdings", notes="Knows Quorvanth? No.")
    DealFactory(owner=rep, customer=other, amount=Decimal("500.00"), title="Unrelated deal")
    SalesRecordFactory(owner=rep, customer=other, amount=Decimal("300.00"), note="Unrelated sale")
    customer.refresh_from_db()
    assert ChangeLog.objects.for_object(customer).count() >= 4
    return customer


def _entered_by_the_rep(customer, rep):
    """The rep's pages and API add to the customer; returns the rep's page client."""
    rep_page, rep_api = browser(rep), api(rep)
    # The page renames them and adds the address and notes; the API changes the email and phone.
    response = rep_page.post(
        reverse("customers:customer_edit", args=[customer.pk]),
        {"name": NAME, "kind": "person", "address": ADDRESS, "notes": NOTES, "email": FIRST_EMAIL},
    )
    assert response.status_code == 302, response.context["form"].errors
    response = rep_api.patch(
        f"/api/customers/{customer.pk}/", {"email": EMAIL, "phone": PHONE}, format="json"
    )
    assert response.status_code == 200, response.json()
    response = rep_page.post(
        reverse("sales:contact_create", args=[customer.pk]),
        {"name": CONTACT_NAME, "email": CONTACT_EMAIL, "phone": CONTACT_PHONE, "title": "Owner"},
    )
    assert response.status_code == 302
    deal = rep_api.post(
        "/api/deals/",
        {"title": DEAL_TITLE, "customer": customer.pk, "amount": "1200.00", "opened_on": "2025-01-10"},
        format="json",
    )
    assert deal.status_code == 201, deal.json()
    deal = Deal.objects.get(pk=deal.json()["id"])
    assert rep_api.post(f"/api/deals/{deal.pk}/move/", {"stage": "choose"}, format="json").status_code == 200
    response = rep_page.post(
        reverse("sales:customer_log_activity", args=[customer.pk]),
        {
            "kind": "call",
            "subject": f"Call {CONTACT_NAME}",
            "notes": ACTIVITY_NOTES,
            "done": "on",
            "deal": deal.pk,
        },
    )
    assert response.status_code == 302, response.context["activity_form"].errors
    record = rep_api.post(
        "/api/sales-records/",
        {"customer": customer.pk, "amount": "800.00", "sold_on": "2025-02-01", "note": RECORD_NOTE},
        format="json",
    )
    assert record.status_code == 201, record.json()
    return rep_page


def _edited_by_the_admin(customer, rep, admin_user) -> None:
    """The admin edits them in Django admin (its log keeps the name)."""
    admin_page = browser(admin_user)
    change = reverse("admin:customers_customer_change", args=[customer.pk])
    form = admin_page.get(change).context["adminform"].form
    data = {n: form[n].value() or "" for n in form.fields}
    data.update(
        {
            "owner": rep.pk,
            "industry": "Gardens",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        }
    )
    assert admin_page.post(change, data).status_code == 302


def figures():
    return (
        Deal.objects.aggregate(n=Count("pk"), total=Sum("amount")),
        list(
            Deal.objects.order_by("pk").values_list(
                "amount", "stage__key", "status", "opened_on", "closed_on"
            )
        ),
        SalesRecord.objects.aggregate(n=Count("pk"), total=Sum("amount")),
        list(SalesRecord.objects.order_by("pk").values_list("amount", "sold_on", "customer_id")),
        Activity.objects.count(),
    )


def text_columns():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                yield model, field


def found_anywhere(values: list[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, value) where a value is written, in any case, in any text column."""
    found = []
    lowered = [v.casefold() for v in values]
    for model, field in text_columns():
        for current in model._base_manager.values_list(field.attname, flat=True).iterator():
            if current is None:
                continue
            text = json.dumps(current, ensure_ascii=False) if isinstance(field, models.JSONField) else current
            text = str(text).casefold()
            found += [
                (model._meta.db_table, field.name, v)
                for v, low in zip(values, lowered, strict=True)
                if low in text
            ]
    return found


def test_the_fixture_writes_each_value_somewhere_the_scan_finds_it(book):
    # The scan can fail: before the erasure it finds every value, and in the history too.
    found = found_anywhere(PERSONAL)
    assert {v for _, _, v in found} == set(PERSONAL)
    assert {t for t, _, _ in found} >= {"history_changelog", "accounts_auditevent", "django_admin_log"}


def test_after_erasing_no_personal_value_is_left_in_any_text_column(book, admin_user):
    before = figures()
    response = browser(admin_user).post(
        reverse("sales:customer_erase", args=[book.pk]), {"confirm": str(book.pk)}
    )
    assert response.status_code == 302
    assert found_anywhere(PERSONAL) == []
    # The sales figures are untouched, so every total adds up as before.
    assert figures() == before
    book.refresh_from_db()
    assert book.owner.username == "rep" and book.kind == "person" and book.industry == "Gardens"
    assert not Contact.objects.filter(customer=book).exists()
    # Other customers keep their own words.
    assert Customer.objects.get(name="Unrelated Holdings").notes == "Knows Quorvanth? No."
    assert Deal.objects.filter(title="Unrelated deal").exists()


def test_the_erasure_is_audited_without_the_erased_values(book, admin_user):
    browser(admin_user).post(reverse("sales:customer_erase", args=[book.pk]), {"confirm": str(book.pk)})
    event = AuditEvent.objects.get(kind="privacy_erased")
    assert (event.actor, event.target_type, event.target_id) == (
        admin_user,
        "customers.customer",
        str(book.pk),
    )
    assert event.detail["contacts"] == 1 and event.detail["deals"] == 1
    assert not any(v in json.dumps(event.detail) for v in PERSONAL)


def test_a_wrong_confirmation_erases_nothing(book, admin_user):
    response = browser(admin_user).post(reverse("sales:customer_erase", args=[book.pk]), {"confirm": "yes"})
    assert response.status_code == 400
    assert f"Type {book.pk} to erase." in response.content.decode()
    book.refresh_from_db()
    assert book.name == NAME
    assert not AuditEvent.objects.filter(kind="privacy_erased").exists()


def test_the_export_holds_every_personal_value_and_is_audited(book, admin_user):
    response = browser(admin_user).get(reverse("sales:customer_privacy_export", args=[book.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    assert data["customer"]["email"] == EMAIL
    assert [c["name"] for c in data["contacts"]] == [CONTACT_NAME]
    assert [d["title"] for d in data["deals"]] == [DEAL_TITLE]
    assert [a["notes"] for a in data["activities"]] == [ACTIVITY_NOTES]
    assert [r["note"] for r in data["sales_records"]] == [RECORD_NOTE]
    text = response.content.decode()
    # The first name and email live on only in the change history, which the export includes.
    assert all(v in text for v in PERSONAL)
    event = AuditEvent.objects.get(kind="privacy_exported")
    assert (event.actor, event.target_id) == (admin_user, str(book.pk))


def test_only_administrators_reach_the_privacy_pages(book, rep, manager):
    for user in (rep, manager):
        client = browser(user)
        assert client.get(reverse("sales:customer_privacy", args=[book.pk])).status_code == 403
        assert client.get(reverse("sales:customer_privacy_export", args=[book.pk])).status_code == 403
        erase = client.post(reverse("sales:customer_erase", args=[book.pk]), {"confirm": str(book.pk)})
        assert erase.status_code == 403
    book.refresh_from_db()
    assert book.name == NAME


def test_the_admin_actions_lead_to_the_export_and_the_confirmation(book, admin_user):
    client = browser(admin_user)
    changelist = reverse("admin:customers_customer_changelist")
    for action, target in (
        ("export_personal_data", "sales:customer_privacy_export"),
        ("erase_personal_data", "sales:customer_privacy"),
    ):
        response = client.post(changelist, {"action": action, "_selected_action": [book.pk]})
        assert response.status_code == 302
        assert response["Location"] == reverse(target, args=[book.pk])
    page = client.get(reverse("sales:customer_privacy", args=[book.pk]))
    assert page.status_code == 200 and 'name="confirm"' in page.content.decode()


def test_the_customer_page_links_admins_to_the_privacy_pages(book, admin_user, rep):
    contact = Contact.objects.get(customer=book)
    links = (
        reverse("sales:customer_privacy", args=[book.pk]),
        reverse("sales:contact_privacy", args=[contact.pk]),
    )
    html = browser(admin_user).get(reverse("sales:customer_detail", args=[book.pk])).content.decode()
    assert all(link in html for link in links)
    html = browser(rep).get(reverse("sales:customer_detail", args=[book.pk])).content.decode()
    assert not any(link in html for link in links)


def test_erasing_leaves_what_other_people_share_with_the_customer(rep, admin_user):
    """A website or a company name is shared by everyone there; a colleague's account is theirs."""
    company = CustomerFactory(owner=rep, name="Brightwater Mills", website="brightwater-mills.example")
    ContactFactory(customer=company, name="Tobias Wrenly", email="tobias@brightwater-mills.example")
    other = CustomerFactory(owner=rep, name="Other Co", notes="Competes with Brightwater Mills")
    neighbour = ContactFactory(customer=other, email="amy@brightwater-mills.example")
    colleague = RepFactory(first_name="Tobias", last_name="Wrenly")

    erase_customer(company, by=admin_user)

    other.refresh_from_db()
    neighbour.refresh_from_db()
    colleague.refresh_from_db()
    assert other.notes == "Competes with Brightwater Mills"  # a company's name is not personal
    assert neighbour.email == "amy@brightwater-mills.example"
    assert (colleague.first_name, colleague.last_name) == ("Tobias", "Wrenly")
    assert not found_anywhere(["tobias@brightwater-mills.example"])


def test_a_contact_alone_is_exported_and_erased_and_the_customer_stays(book, admin_user):
    contact = Contact.objects.get(customer=book)
    client = browser(admin_user)
    export = client.get(reverse("sales:contact_privacy_export", args=[contact.pk]))
    assert export.status_code == 200
    data = json.loads(export.content)
    assert (data["contact"]["name"], data["contact"]["email"]) == (CONTACT_NAME, CONTACT_EMAIL)
    assert data["history"]

    wrong = client.post(reverse("sales:contact_erase", args=[contact.pk]), {"confirm": "0"})
    assert wrong.status_code == 400 and Contact.objects.filter(pk=contact.pk).exists()
    done = client.post(reverse("sales:contact_erase", args=[contact.pk]), {"confirm": str(contact.pk)})
    assert done.status_code == 302
    assert found_anywhere([CONTACT_NAME, CONTACT_EMAIL, CONTACT_PHONE]) == []
    book.refresh_from_db()
    assert book.name == NAME  # the customer and the rest of their data stay
    event = AuditEvent.objects.get(kind="privacy_erased")
    assert (event.target_type, event.target_id) == ("customers.contact", str(contact.pk))
