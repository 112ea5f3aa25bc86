"""Change history made readable (history_for), its page partial and its admin block."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.template.loader import render_to_string
from django.test import RequestFactory

from customers.models import Customer
from sales.admin_history import HistoryAdminMixin
from sales.history import history_for, record_changes, snapshot
from sales.models import Deal, Stage
from tests.factories import CustomerFactory, DealFactory


def _edit(obj, by, **changes):
    before = snapshot(obj)
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.save()
    record_changes(obj, before, by=by)


def test_it_lists_who_changed_what_newest_first_with_field_labels(rep):
    customer = CustomerFactory(owner=rep, region="North", name="Acme")
    record_changes(customer, None, by=rep)
    _edit(customer, rep, region="East")
    entries = history_for(customer)
    assert [e.action for e in entries] == ["updated", "created"]
    assert entries[0].who == rep.get_full_name()
    assert [(c.label, c.old, c.new) for c in entries[0].changes] == [("Region", "North", "East")]


def test_it_shows_names_for_ids_and_labels_for_choices(rep, manager):
    deal = DealFactory(owner=rep, customer__owner=rep)
    new_customer = CustomerFactory(owner=rep, name="Globex")
    before = snapshot(deal)
    deal.apply_edit({"customer": new_customer, "owner": manager}, version=deal.version)
    deal.move_to(Stage.objects.get(key="buy"), by=rep)
    record_changes(deal, before, by=rep)
    changes = {c.name: c for c in history_for(deal)[0].changes}
    assert changes["customer"].new == "Globex"
    assert changes["owner"].old == rep.get_full_name()
    assert changes["owner"].new == manager.get_full_name()
    assert (changes["stage"].old, changes["stage"].new) == ("Lead", "Buy")
    assert (changes["status"].old, changes["status"].new) == ("Open", "Won")


def test_a_record_the_viewer_cannot_see_stays_an_id(rep, other_rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    hidden = CustomerFactory(owner=other_rep, name="Hidden Corp")
    before = snapshot(deal)
    deal.apply_edit({"customer": hidden}, version=deal.version)
    record_changes(deal, before, by=rep)
    change = history_for(deal, user=rep)[0].changes[0]
    assert change.new == f"#{hidden.pk}"


@pytest.mark.parametrize("edits", [2, 4])
def test_it_runs_one_query_per_related_model_whatever_the_rows(
    rep, manager, django_assert_num_queries, edits
):
    deal = DealFactory(owner=rep, customer__owner=rep)
    others = [CustomerFactory(owner=rep) for _ in range(edits)]
    for customer in others:
        before = snapshot(deal)
        deal.apply_edit({"customer": customer, "amount": deal.amount + 1}, version=deal.version)
        record_changes(deal, before, by=rep)
    # the rows with who made them, then the names of the customers they mention
    with django_assert_num_queries(2):
        entries = history_for(deal)
    assert len(entries) == edits


def test_the_partial_escapes_values(rep):
    customer = CustomerFactory(owner=rep, name="Acme")
    _edit(customer, rep, name="<script>alert(1)</script>")
    html = render_to_string("sales/partials/history.html", {"history": history_for(customer)})
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Acme" in html


def test_the_partial_says_when_there_is_no_history(rep):
    html = render_to_string("sales/partials/history.html", {"history": []})
    assert "No changes recorded yet." in html


class _CustomerAdmin(HistoryAdminMixin, admin.ModelAdmin):
    fields = ["name", "owner", "need"]


class _DealAdmin(HistoryAdminMixin, admin.ModelAdmin):
    fieldsets = [(None, {"fields": ["title", "amount"]})]


def test_the_admin_block_gets_its_own_fieldset_on_the_change_page_only(admin_user, rep):
    customer = CustomerFactory(owner=rep)
    request = RequestFactory().get("/")
    request.user = admin_user
    model_admin = _CustomerAdmin(Customer, admin.site)
    assert model_admin.get_fieldsets(request, None) == [(None, {"fields": ["name", "owner", "need"]})]
    fieldsets = model_admin.get_fieldsets(request, customer)
    assert fieldsets[-1][1]["fields"] == ["change_history"]
    assert "change_history" in model_admin.get_readonly_fields(request, customer)
    deal_fieldsets = _DealAdmin(Deal, admin.site).get_fieldsets(
        request, DealFactory(owner=rep, customer=customer)
    )
    assert [f["fields"] for _name, f in deal_fieldsets] == [["title", "amount"], ["change_history"]]


def test_the_admin_block_escapes_values(rep):
    customer = CustomerFactory(owner=rep, need=Decimal("10"))
    _edit(customer, rep, name='<img src=x onerror="boom">')
    html = str(_CustomerAdmin(Customer, admin.site).change_history(customer))
    assert "<img" not in html
    assert "&lt;img src=x onerror=&quot;boom&quot;&gt;" in html
    assert "<table>" in html


def test_the_admin_change_pages_show_the_history(admin_client_, rep):
    deal = DealFactory(owner=rep, customer__owner=rep, title="Old title")
    before = snapshot(deal)
    deal.apply_edit({"title": "<b>New</b> title"}, version=deal.version)
    record_changes(deal, before, by=rep)
    html = admin_client_.get(f"/admin/sales/deal/{deal.pk}/change/").content.decode()
    assert "Change history" in html
    assert "Old title" in html and "&lt;b&gt;New&lt;/b&gt; title" in html
    response = admin_client_.get(f"/admin/customers/customer/{deal.customer_id}/change/")
    assert response.status_code == 200
    assert "No changes recorded yet." in response.content.decode()
    assert admin_client_.get("/admin/customers/customer/add/").status_code == 200
