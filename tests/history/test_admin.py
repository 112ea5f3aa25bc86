"""The admin's History button shows the change history the pages show."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from history.actor import acting_as
from history.admin import HistoryAdminMixin
from history.models import ChangeLog, Tracked
from tests.factories import ContactFactory, CustomerFactory, DealFactory

TRACKED = [m for m in apps.get_models() if issubclass(m, Tracked)]


def history_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])


@pytest.mark.parametrize("model", TRACKED, ids=lambda m: m.__name__)
def test_every_tracked_model_shows_its_history_in_the_admin(model):
    assert isinstance(admin.site._registry[model], HistoryAdminMixin)


def test_the_history_page_lists_who_changed_which_field_from_what_to_what(admin_client_, rep):
    deal = DealFactory(owner=rep, customer__owner=rep, title="Old title")
    with acting_as(rep):
        deal.apply_edit({"title": "<b>New</b> title"}, version=deal.version)
    html = admin_client_.get(history_url(deal)).content.decode()
    assert "Change history: &lt;b&gt;New&lt;/b&gt; title" in html
    assert "Old title" in html and "&lt;b&gt;New&lt;/b&gt; title" in html
    assert "<b>New</b>" not in html
    assert rep.get_full_name() in html
    assert "Created" in html and "Updated" in html


def test_the_history_page_of_a_record_with_no_history_says_so(admin_client_, rep):
    customer = CustomerFactory(owner=rep)
    ChangeLog.objects.for_object(customer).delete()
    response = admin_client_.get(history_url(customer))
    assert response.status_code == 200
    assert "No changes recorded yet." in response.content.decode()


def test_the_history_page_of_a_missing_record_goes_back_to_the_list(admin_client_):
    response = admin_client_.get(reverse("admin:customers_customer_history", args=[999999]))
    assert response.status_code == 302


def test_the_history_page_follows_who_may_see_the_record(client, rep, other_rep):
    other_rep.is_staff = True
    other_rep.save()
    customer = CustomerFactory(owner=rep)
    client.force_login(other_rep)
    # Staff without model permissions: the admin refuses before visibility is even asked.
    assert client.get(history_url(customer)).status_code in {302, 403}


def test_deleting_from_the_admin_list_records_each_deletion(admin_client_, admin_user, rep):
    contacts = [ContactFactory(customer__owner=rep) for _ in range(2)]
    url = reverse("admin:customers_contact_changelist")
    response = admin_client_.post(
        url, {"action": "delete_selected", "_selected_action": [c.pk for c in contacts], "post": "yes"}
    )
    assert response.status_code == 302
    for contact in contacts:
        row = ChangeLog.objects.for_object(contact).get(action=ChangeLog.Action.DELETED)
        assert row.changed_by == admin_user
        assert row.changes["name"] == [contact.name, ""]
