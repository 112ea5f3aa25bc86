"""A unique value taken between the serializer's check and the write is a 409, not a 500."""

from rest_framework.validators import UniqueValidator

from customers.models import Customer
from tests.factories import CustomerFactory


def test_an_external_id_taken_meanwhile_is_a_conflict(api, rep, monkeypatch):
    CustomerFactory(owner=rep, external_id="CRM-1")
    # As if the other row were written after the check ran: the check sees nothing.
    monkeypatch.setattr(UniqueValidator, "__call__", lambda self, value, field: None)
    response = api.post("/api/customers/", {"name": "Second", "external_id": "CRM-1"}, format="json")
    assert response.status_code == 409
    assert "unique values" in response.json()["detail"]
    assert Customer.objects.filter(external_id="CRM-1").count() == 1
    # The request's transaction is still usable afterwards.
    assert api.get("/api/customers/").status_code == 200


def test_a_deal_whose_external_id_was_taken_meanwhile_is_a_conflict(api, rep, monkeypatch):
    from sales.models import Deal
    from tests.factories import DealFactory

    customer = CustomerFactory(owner=rep)
    DealFactory(owner=rep, customer=customer, external_id="DEAL-1")
    monkeypatch.setattr(UniqueValidator, "__call__", lambda self, value, field: None)
    body = {"title": "Second", "customer": customer.pk, "amount": "10.00", "external_id": "DEAL-1"}
    response = api.post("/api/deals/", body, format="json")
    assert response.status_code == 409
    assert "unique values" in response.json()["detail"]
    assert Deal.objects.filter(external_id="DEAL-1").count() == 1
    assert api.get("/api/deals/").status_code == 200
