"""Every change is in the history once, with who and when, whichever path made it.

A deal is moved, won, lost and given a probability, and a customer, a contact, an activity, a sales
record and a plan are edited, through each path that exists for that change: the pages, the board
(which only moves, wins and loses deals), the API and the admin (which cannot mark a deal lost; its
status is read-only there). Each change is then found in exactly one history row, and the admin's
History page shows it.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from history.models import ChangeLog
from history.readable import history_for
from sales.models import Deal, SalesPlan, Stage
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    CustomerFactory,
    DealFactory,
    SalesPlanFactory,
    SalesRecordFactory,
    lost_reason,
)


def form_data(form: forms.BaseForm) -> dict:
    """What a browser would post back for ``form`` as it is shown, unchanged."""
    data = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        widget = field.widget
        if isinstance(widget, forms.MultiWidget):
            parts = widget.decompress(value)
            for i, part in enumerate(parts):
                data[f"{bound.html_name}_{i}"] = "" if part is None else part
        elif isinstance(field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
        elif value is None:
            data[bound.html_name] = ""
        else:
            data[bound.html_name] = value
    return data


def admin_post(client: Client, obj, **changes):
    """Save ``obj``'s admin change form with ``changes``, inlines left as they are."""
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    page = client.get(url)
    data = form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(form_data(formset.management_form))
        for form in formset.forms:
            data.update(form_data(form))
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def page_post(client: Client, url: str, **changes):
    """Post the page's form at ``url`` back with ``changes``."""
    data = form_data(client.get(url).context["form"])
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    return response


@dataclass
class Paths:
    """The signed-in clients of each path, and who each acts as."""

    page: Client
    api: APIClient
    admin: Client
    rep: object
    manager_api: APIClient
    manager: object
    admin_user: object


@pytest.fixture
def paths(rep, manager, team, admin_user) -> Paths:
    page, admin = Client(), Client()
    page.force_login(rep)
    admin.force_login(admin_user)
    # A real token, so the user is known only once the API view authenticates the request.
    api, manager_api = APIClient(), APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=rep).key}")
    manager_api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")
    return Paths(page, api, admin, rep, manager_api, manager, admin_user)


def actor(paths: Paths, path: str, *, plan: bool = False):
    if path == "admin":
        return paths.admin_user
    return paths.manager if plan else paths.rep


def recorded_once(obj, expected: dict[str, list[str]], by, since: datetime.datetime, paths: Paths) -> None:
    """Each expected field change is in exactly one history row written since ``since``, by ``by``;
    the admin's History page shows it with who made it, as the record's own page does."""
    rows = list(ChangeLog.objects.for_object(obj).filter(changed_at__gte=since).select_related("changed_by"))
    until = timezone.now()
    for name, change in expected.items():
        having = [row for row in rows if name in row.changes]
        assert len(having) == 1, (name, [row.changes for row in rows])
        row = having[0]
        assert row.changes[name] == change
        assert row.changed_by == by
        assert since <= row.changed_at <= until
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])
    page = paths.admin.get(url)
    assert page.status_code == 200
    shown = page.context["history"]
    assert shown == history_for(obj, user=paths.admin_user)
    if hasattr(obj, "get_absolute_url"):  # customers and deals have a page with their history
        assert paths.admin.get(obj.get_absolute_url()).context["history"] == shown
    html = page.content.decode()
    for entry in (e for e in shown if e.when >= since):
        assert escape(entry.who) in html
        for change in entry.changes:
            if change.name in expected:
                assert f"<td>{escape(change.label)}</td>" in html
                assert f"<td>{escape(change.old)}</td>" in html
                assert f"<td>{escape(change.new)}</td>" in html


def stage(key: str) -> Stage:
    return Stage.objects.get(key=key)


def deal_url(name: str, deal: Deal) -> str:
    return reverse(f"sales:{name}", args=[deal.pk])


# Deals: move, win, lose, probability


def _move(paths: Paths, path: str, deal: Deal, key: str):
    if path == "page":
        return paths.page.post(deal_url("deal_move", deal), {"stage": key, "version": deal.version})
    if path == "board":
        return paths.page.post(deal_url("board_move", deal), {"stage": key})
    if path == "api":
        return paths.api.post(f"/api/deals/{deal.pk}/move/", {"stage": key}, format="json")
    return admin_post(paths.admin, deal, stage=stage(key).pk)


def _win(paths: Paths, path: str, deal: Deal):
    if path == "page":
        return paths.page.post(deal_url("deal_won", deal), {"version": deal.version})
    if path == "api":
        return paths.api.post(f"/api/deals/{deal.pk}/won/", {}, format="json")
    return _move(paths, path, deal, "buy")


def _lose(paths: Paths, path: str, deal: Deal):
    reason = lost_reason("No budget").pk
    if path == "page":
        return paths.page.post(deal_url("deal_lost", deal), {"reason": reason, "version": deal.version})
    if path == "board":
        return paths.page.post(deal_url("board_lost", deal), {"reason": reason})
    return paths.api.post(f"/api/deals/{deal.pk}/lost/", {"reason": "No budget"}, format="json")


def _probability(paths: Paths, path: str, deal: Deal):
    if path == "page":
        return paths.page.post(
            deal_url("deal_probability", deal), {"probability": "42", "version": deal.version}
        )
    if path == "api":
        data = {"version": deal.version, "probability": "42"}
        return paths.api.patch(f"/api/deals/{deal.pk}/", data, format="json")
    return admin_post(paths.admin, deal, probability="42")


DEAL_CHANGES: dict[str, tuple[Callable, tuple[str, ...], Callable[[], dict]]] = {
    # change: (how, paths, {field: [old, new]} as stored)
    "move": (
        lambda paths, path, deal: _move(paths, path, deal, "understand"),
        ("page", "board", "api", "admin"),
        lambda: {
            "stage": [str(stage("lead").pk), str(stage("understand").pk)],
            "probability": ["10.00", "25.00"],
        },
    ),
    "win": (
        _win,
        ("page", "board", "api", "admin"),
        lambda: {
            "stage": [str(stage("lead").pk), str(stage("buy").pk)],
            "status": ["open", "won"],
            "probability": ["10.00", "100.00"],
            "closed_on": ["", timezone.localdate().isoformat()],
        },
    ),
    "lose": (
        _lose,
        ("page", "board", "api"),
        lambda: {
            "status": ["open", "lost"],
            "lost_reason": ["", str(lost_reason("No budget").pk)],
            "closed_on": ["", timezone.localdate().isoformat()],
        },
    ),
    "probability": (
        _probability,
        ("page", "api", "admin"),
        lambda: {"probability": ["10.00", "42.00"], "probability_overridden": ["False", "True"]},
    ),
}
DEAL_CASES = [(change, path) for change, (_how, ways, _expected) in DEAL_CHANGES.items() for path in ways]


@pytest.mark.parametrize(("change", "path"), DEAL_CASES, ids=[f"{c}-{p}" for c, p in DEAL_CASES])
def test_a_deal_change_is_in_its_history_once(paths, change, path):
    deal = DealFactory(owner=paths.rep, customer__owner=paths.rep, amount=Decimal("1000.00"))
    how, _ways, expected = DEAL_CHANGES[change]
    since = timezone.now()
    response = how(paths, path, deal)
    assert response.status_code in {200, 302}, response.content[:500]
    recorded_once(deal, expected(), actor(paths, path), since, paths)


def test_a_win_records_the_sales_record_it_creates_as_the_winners_doing(paths):
    deal = DealFactory(owner=paths.rep, customer__owner=paths.rep)
    paths.page.post(deal_url("board_move", deal), {"stage": "buy"})
    row = ChangeLog.objects.for_object(deal.sales_records.get()).get()
    assert (row.action, row.changed_by, row.changes["amount"]) == ("created", paths.rep, ["", "1000.00"])


# Customers, contacts, activities, sales records and plans


def _customer(paths):
    return CustomerFactory(owner=paths.rep, region="North")


def _contact(paths):
    return ContactFactory(customer__owner=paths.rep, name="Ada")


def _activity(paths):
    customer = CustomerFactory(owner=paths.rep)
    return ActivityFactory(customer=customer, owner=paths.rep, subject="Call", done_at=timezone.now())


def _record(paths):
    return SalesRecordFactory(customer__owner=paths.rep, amount=Decimal("100.00"))


def _plan(paths):
    team = paths.manager.managed_teams.get()
    return SalesPlanFactory(scope=SalesPlan.Scope.TEAM, team=team, target_ratio=Decimal("0.5"))


EDITS = {
    # model: (make, page url or None, API path, field, old, new as posted, new as stored)
    "customer": (
        _customer,
        lambda obj: reverse("customers:customer_edit", args=[obj.pk]),
        "customers",
        "region",
        "North",
        "East",
        "East",
    ),
    "contact": (
        _contact,
        lambda obj: reverse("customers:contact_edit", args=[obj.pk]),
        "contacts",
        "name",
        "Ada",
        "Ada Lovelace",
        "Ada Lovelace",
    ),
    "activity": (
        _activity,
        lambda obj: reverse("sales:activity_edit", args=[obj.pk]),
        "activities",
        "subject",
        "Call",
        "Call back",
        "Call back",
    ),
    "salesrecord": (_record, None, "sales-records", "amount", "100.00", "150", "150.00"),
    "plan": (_plan, None, "plans", "target_ratio", "0.5000", "0.75", "0.7500"),
}
EDIT_CASES = [
    (model, path)
    for model, (_make, page, *_rest) in EDITS.items()
    for path in ("page", "api", "admin")
    if path != "page" or page is not None
]


@pytest.mark.parametrize(("model", "path"), EDIT_CASES, ids=[f"{m}-{p}" for m, p in EDIT_CASES])
def test_an_edit_is_in_the_history_once(paths, model, path):
    make, page_url, api_name, field, old, posted, stored = EDITS[model]
    obj = make(paths)
    since = timezone.now()
    if path == "page":
        page_post(paths.page, page_url(obj), **{field: posted})
    elif path == "api":
        client = paths.manager_api if model == "plan" else paths.api
        response = client.patch(f"/api/{api_name}/{obj.pk}/", {field: posted}, format="json")
        assert response.status_code == 200, response.data
    else:
        admin_post(paths.admin, obj, **{field: posted})
    recorded_once(obj, {field: [old, stored]}, actor(paths, path, plan=model == "plan"), since, paths)


def test_saving_a_form_unchanged_records_nothing(paths):
    activity = _activity(paths)
    since = timezone.now()
    page_post(paths.page, reverse("sales:activity_edit", args=[activity.pk]))
    admin_post(paths.admin, activity)
    assert not ChangeLog.objects.for_object(activity).filter(changed_at__gte=since).exists()
