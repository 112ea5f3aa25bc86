"""Customers, contacts, activities, sales records and plans through the API."""

import datetime
from decimal import Decimal

from customers.models import Customer
from history.models import ChangeLog
from sales.models import SalesPlan, SalesRecord, Stage
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    DealFactory,
    SalesPlanFactory,
    SalesRecordFactory,
)


def test_a_new_customer_belongs_to_its_creator_and_is_logged(api, rep):
    response = api.post("/api/customers/", {"name": "Acme", "need": "5000.00"}, format="json")
    assert response.status_code == 201, response.data
    customer = Customer.objects.get(pk=response.data["id"])
    assert (customer.owner, customer.need) == (rep, Decimal("5000.00"))
    assert ChangeLog.objects.for_object(customer).get().action == ChangeLog.Action.CREATED


def test_a_customer_edit_is_logged_with_old_and_new_values(api, rep):
    customer = CustomerFactory(owner=rep, region="North")
    response = api.patch(f"/api/customers/{customer.pk}/", {"region": "East"}, format="json")
    assert response.status_code == 200
    log = ChangeLog.objects.for_object(customer).get(action=ChangeLog.Action.UPDATED)
    assert (log.action, log.changes, log.changed_by) == (
        ChangeLog.Action.UPDATED,
        {"region": ["North", "East"]},
        rep,
    )


def test_a_manager_can_hand_a_customer_to_a_rep_of_their_team(manager_api, manager, rep):
    customer = CustomerFactory(owner=manager)
    response = manager_api.patch(f"/api/customers/{customer.pk}/", {"owner": rep.pk}, format="json")
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.owner == rep


def test_a_rep_cannot_hand_a_customer_to_someone_else(api, rep, manager):
    customer = CustomerFactory(owner=rep)
    response = api.patch(f"/api/customers/{customer.pk}/", {"owner": manager.pk}, format="json")
    assert response.status_code == 400
    assert "cannot" not in str(response.data) or "owner" in response.data


def test_a_customer_with_deals_cannot_be_deleted(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    response = api.delete(f"/api/customers/{deal.customer_id}/")
    assert response.status_code == 409
    assert Customer.objects.filter(pk=deal.customer_id).exists()


def test_a_negative_need_is_refused(api):
    response = api.post("/api/customers/", {"name": "Acme", "need": "-1"}, format="json")
    assert response.status_code == 400
    assert "need" in response.data


def test_the_customer_list_filters_by_text_and_region(api, rep):
    CustomerFactory(owner=rep, name="Acme", region="North")
    CustomerFactory(owner=rep, name="Globex", region="South")
    names = [c["name"] for c in api.get("/api/customers/", {"region": "South"}).data["results"]]
    assert names == ["Globex"]
    names = [c["name"] for c in api.get("/api/customers/", {"q": "acm"}).data["results"]]
    assert names == ["Acme"]


def test_a_contact_must_belong_to_a_visible_customer(api, other_rep):
    customer = CustomerFactory(owner=other_rep)
    response = api.post("/api/contacts/", {"customer": customer.pk, "name": "Ann"}, format="json")
    assert response.status_code == 400
    assert "customer" in response.data


def test_an_activity_needs_a_deal_or_a_customer(api):
    response = api.post("/api/activities/", {"subject": "Call"}, format="json")
    assert response.status_code == 400


def test_an_activity_on_a_deal_of_another_customer_is_refused(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    other = CustomerFactory(owner=rep)
    response = api.post(
        "/api/activities/", {"subject": "Call", "deal": deal.pk, "customer": other.pk}, format="json"
    )
    assert response.status_code == 400
    assert "customer" in response.data


def test_the_activity_list_filters_done_and_pending(api, rep):
    done = ActivityFactory(
        owner=rep, customer__owner=rep, done_at=datetime.datetime(2025, 1, 2, tzinfo=datetime.UTC)
    )
    ActivityFactory(owner=rep, customer__owner=rep)
    ids = [a["id"] for a in api.get("/api/activities/", {"done": "true"}).data["results"]]
    assert ids == [done.pk]


def test_a_sales_record_is_created_for_a_visible_customer(api, rep):
    customer = CustomerFactory(owner=rep)
    response = api.post(
        "/api/sales-records/",
        {"customer": customer.pk, "amount": "99.90", "sold_on": "2024-03-01"},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["owner"] == rep.pk


def test_a_second_sales_record_for_a_deal_is_refused_with_a_reason(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    deal.move_to(Stage.objects.get(key="buy"), by=rep)
    response = api.post(
        "/api/sales-records/",
        {"customer": deal.customer.pk, "deal": deal.pk, "amount": "10.00"},
        format="json",
    )
    assert response.status_code == 400
    assert "already has its sales record" in str(response.data["deal"][0])
    assert SalesRecord.objects.filter(deal=deal).count() == 1


def test_a_record_cannot_be_moved_onto_a_deal_that_has_its_sale(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    deal.move_to(Stage.objects.get(key="buy"), by=rep)
    loose = SalesRecordFactory(owner=rep, customer=deal.customer)
    response = api.patch(f"/api/sales-records/{loose.pk}/", {"deal": deal.pk}, format="json")
    assert response.status_code == 400
    assert "already has its sales record" in str(response.data["deal"][0])
    # Saving the won deal's own record unchanged is not a clash with itself.
    own = deal.sales_records.get()
    response = api.patch(f"/api/sales-records/{own.pk}/", {"deal": deal.pk, "note": "Paid"}, format="json")
    assert response.status_code == 200, response.data


def test_the_sale_of_a_won_deal_cannot_be_deleted(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    deal.move_to(Stage.objects.get(key="buy"), by=rep)
    response = api.delete(f"/api/sales-records/{deal.sales_records.get().pk}/")
    assert response.status_code == 400
    assert "sale of a won deal" in response.data["detail"]
    assert SalesRecord.objects.filter(deal=deal).exists()


def test_a_sales_record_of_no_won_deal_can_be_deleted(api, rep):
    loose = SalesRecordFactory(owner=rep, customer__owner=rep)
    assert api.delete(f"/api/sales-records/{loose.pk}/").status_code == 204
    assert not SalesRecord.objects.filter(pk=loose.pk).exists()


def test_the_sales_record_list_filters_by_date(api, rep):
    customer = CustomerFactory(owner=rep)
    SalesRecordFactory(owner=rep, customer=customer, sold_on=datetime.date(2024, 1, 5))
    late = SalesRecordFactory(owner=rep, customer=customer, sold_on=datetime.date(2024, 6, 5))
    ids = [r["id"] for r in api.get("/api/sales-records/", {"start": "2024-03-01"}).data["results"]]
    assert ids == [late.pk]
    # A date that does not parse is ignored rather than failing the request.
    assert api.get("/api/sales-records/", {"start": "2024-13-45"}).data["count"] == 2


def test_a_rep_reads_their_plan_but_cannot_write_plans(api, rep):
    plan = SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=rep)
    assert api.get(f"/api/plans/{plan.pk}/").status_code == 200
    assert api.patch(f"/api/plans/{plan.pk}/", {"name": "Mine"}, format="json").status_code == 403
    body = {
        "name": "P",
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        "scope": "rep",
        "rep": rep.pk,
        "target_ratio": "0.5",
        "activity_ratio": "0.6",
    }
    assert api.post("/api/plans/", body, format="json").status_code == 403


def test_a_manager_plans_for_their_team_but_not_the_company(manager_api, team):
    body = {
        "name": "Q1",
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        "scope": "team",
        "team": team.pk,
        "target_ratio": "0.5",
        "activity_ratio": "0.6",
    }
    assert manager_api.post("/api/plans/", body, format="json").status_code == 201
    response = manager_api.post("/api/plans/", {**body, "scope": "company", "team": None}, format="json")
    assert response.status_code == 400
    assert "scope" in response.data


def test_a_plan_period_must_be_ordered(admin_api):
    body = {
        "name": "Bad",
        "period_start": "2025-03-01",
        "period_end": "2025-01-01",
        "scope": "company",
        "target_ratio": "0.5",
        "activity_ratio": "0.6",
    }
    response = admin_api.post("/api/plans/", body, format="json")
    assert response.status_code == 400
    assert "period_end" in response.data


def test_a_manager_changes_the_plan_of_a_rep_in_their_team(manager_api, rep):
    plan = SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=rep)
    response = manager_api.patch(f"/api/plans/{plan.pk}/", {"target_ratio": "0.7"}, format="json")
    assert response.status_code == 200
    plan.refresh_from_db()
    assert plan.target_ratio == Decimal("0.7")


def test_the_api_refuses_a_plan_the_model_refuses_with_the_models_messages(admin_api, team, rep):
    body = {
        "name": "Q1",
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        "scope": "team",
        "rep": rep.pk,
        "target_ratio": "0.5",
        "activity_ratio": "0.6",
    }
    response = admin_api.post("/api/plans/", body, format="json")
    assert response.status_code == 400
    assert response.data["team"] == ["Choose the team this plan is for."]
    assert response.data["rep"] == ["Only a rep plan names a rep."]


def test_a_refused_plan_edit_changes_nothing(manager_api, rep):
    plan = SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=rep)
    response = manager_api.patch(f"/api/plans/{plan.pk}/", {"scope": "team"}, format="json")
    assert response.status_code == 400
    assert response.data["team"] == ["Choose the team this plan is for."]
    assert response.data["rep"] == ["Only a rep plan names a rep."]
    plan.refresh_from_db()
    assert (plan.scope, plan.rep) == (SalesPlan.Scope.REP, rep)
