"""Lost-update protection for customers, contacts and activities, as deals have it: an edit made
from an older copy than the one saved is refused, through the pages, the API and the admin, and
nothing either person typed is lost."""

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from dataio.imports import Mapping, run_import
from history.models import ChangeLog
from tests.factories import ActivityFactory, ContactFactory, CustomerFactory


@dataclass(frozen=True)
class Kind:
    name: str
    make: object
    page: str  # the edit page's URL name
    api: str  # the API collection
    admin: str  # the admin change page's URL name
    mine: tuple[str, str]  # (field, value) the first person changes
    theirs: tuple[str, str]  # (field, value) the other person changes meanwhile


KINDS = [
    Kind(
        "customer",
        lambda rep: CustomerFactory(owner=rep, name="Acme Ltd", phone="100", notes="first notes"),
        "customers:customer_edit",
        "customers",
        "admin:customers_customer_change",
        ("notes", "my notes"),
        ("phone", "+1 555 0199"),
    ),
    Kind(
        "contact",
        lambda rep: ContactFactory(
            customer=CustomerFactory(owner=rep), name="Ann Lee", phone="100", title="CFO"
        ),
        "customers:contact_edit",
        "contacts",
        "admin:customers_contact_change",
        ("title", "CEO"),
        ("phone", "+1 555 0199"),
    ),
    Kind(
        "activity",
        lambda rep: ActivityFactory(
            customer=CustomerFactory(owner=rep), owner=rep, subject="Call Ann", outcome="first"
        ),
        "sales:activity_edit",
        "activities",
        "admin:sales_activity_change",
        ("outcome", "my outcome"),
        ("subject", "Call Ann again"),
    ),
]
IDS = [k.name for k in KINDS]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(response) -> dict:
    """What the browser would post back: every field as the page shows it."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            data[form.add_prefix(name)] = "on"
        elif hasattr(value, "strftime"):
            data[form.add_prefix(name)] = value.strftime("%Y-%m-%dT%H:%M")
        else:
            data[form.add_prefix(name)] = str(value)
    return data


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_a_stale_page_edit_is_refused_and_shows_both_peoples_values(kind, rep, manager, team):
    obj = kind.make(rep)
    url = reverse(kind.page, args=[obj.pk])
    mine, theirs = signed_in(rep), signed_in(manager)
    my_form = form_data(mine.get(url))

    their_form = form_data(theirs.get(url))
    their_form[kind.theirs[0]] = kind.theirs[1]
    assert theirs.post(url, their_form).status_code == 302

    my_form[kind.mine[0]] = kind.mine[1]
    refused = mine.post(url, my_form)
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Not saved: someone else changed this while you were editing it." in html
    assert kind.theirs[1] in html  # their value, named in the message and now in the form
    form = refused.context["form"]
    assert form[kind.mine[0]].value() == kind.mine[1]  # what I typed is kept
    assert form[kind.theirs[0]].value() == kind.theirs[1]  # the field I left alone shows theirs
    obj.refresh_from_db()
    assert getattr(obj, kind.mine[0]) != kind.mine[1]  # nothing of mine was written
    assert getattr(obj, kind.theirs[0]) == kind.theirs[1]

    # Saving the re-rendered form applies my edit over theirs; theirs stays.
    assert mine.post(url, form_data(refused)).status_code == 302
    obj.refresh_from_db()
    assert (getattr(obj, kind.mine[0]), getattr(obj, kind.theirs[0])) == (kind.mine[1], kind.theirs[1])


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_a_page_edit_from_the_latest_copy_saves_and_moves_the_version(kind, rep, team):
    obj = kind.make(rep)
    url = reverse(kind.page, args=[obj.pk])
    client = signed_in(rep)
    data = form_data(client.get(url))
    data[kind.mine[0]] = kind.mine[1]
    assert client.post(url, data).status_code == 302
    obj.refresh_from_db()
    assert obj.version == 2
    # Posting the same old copy again is now stale.
    data[kind.theirs[0]] = kind.theirs[1]
    assert client.post(url, data).status_code == 409


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_a_stale_api_edit_gets_409_with_the_reason_and_the_record_as_it_is(kind, rep, team):
    obj = kind.make(rep)
    api = APIClient()
    api.force_authenticate(rep)
    url = f"/api/{kind.api}/{obj.pk}/"
    seen = api.get(url).json()["version"]
    assert seen == 1
    first = api.patch(url, {kind.theirs[0]: kind.theirs[1], "version": seen}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    history = ChangeLog.objects.for_object(obj).count()

    stale = api.patch(url, {kind.mine[0]: kind.mine[1], "version": seen}, format="json")
    assert stale.status_code == 409
    body = stale.json()
    assert body["detail"] == f"This {kind.name} was changed by someone else since you opened it."
    assert body["current"][kind.theirs[0]] == kind.theirs[1] and body["current"]["version"] == 2
    obj.refresh_from_db()
    assert getattr(obj, kind.mine[0]) != kind.mine[1]
    assert ChangeLog.objects.for_object(obj).count() == history  # a refused edit leaves no history

    full = api.get(url).json()
    full.update({kind.mine[0]: kind.mine[1], "version": seen})
    assert api.put(url, full, format="json").status_code == 409
    full["version"] = 2
    assert api.put(url, full, format="json").status_code == 200


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_a_stale_admin_edit_is_refused_with_a_message(kind, rep, admin_user):
    obj = kind.make(rep)
    url = reverse(kind.admin, args=[obj.pk])
    client = signed_in(admin_user)
    page = client.get(url)
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else str(value)
    for key in ("due_at", "done_at"):
        if key in form.fields:
            data.pop(key, None)
            value = form[key].value()
            if value:
                data[f"{key}_0"], data[f"{key}_1"] = value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")
    data.update({"contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0"})

    setattr(obj, kind.theirs[0], kind.theirs[1])
    obj.save()  # someone else saves while the admin's form is open

    data[kind.mine[0]] = kind.mine[1]
    refused = client.post(url, data)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert f"This {kind.name} was changed by someone else since you opened it." in html
    obj.refresh_from_db()
    assert getattr(obj, kind.mine[0]) != kind.mine[1]
    assert getattr(obj, kind.theirs[0]) == kind.theirs[1]


def test_an_import_that_changes_an_activity_makes_an_open_page_stale(rep, team, admin_user):
    activity = ActivityFactory(
        customer=CustomerFactory(owner=rep), owner=rep, subject="Call", external_id="A-1"
    )
    url = reverse("sales:activity_edit", args=[activity.pk])
    page = signed_in(rep)
    data = form_data(page.get(url))
    mapping = Mapping.from_dict(
        {
            "kind": "activities",
            "fields": {
                "external_id": "Id",
                "subject": "Subject",
                "customer": {"column": "Customer", "match": "name"},
            },
        }
    )
    text = f"Id,Subject,Customer\nA-1,Imported subject,{activity.customer.name}\n"
    report = run_import(text.encode(), "a.csv", mapping, user=admin_user)
    assert report.committed and report.updated == 1, report.problems
    activity.refresh_from_db()
    assert activity.version == 2
    data["outcome"] = "typed on the page"
    assert page.post(url, data).status_code == 409
    activity.refresh_from_db()
    assert activity.subject == "Imported subject"
