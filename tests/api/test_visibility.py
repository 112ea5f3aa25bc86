"""Every API route, as a rep outside the owner's team: detail routes 404, lists leave the rows out."""

import pytest
from rest_framework.routers import DefaultRouter

from sales.api.urls import router
from sales.models import SalesPlan
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    CustomerFactory,
    DealFactory,
    ProductFactory,
    SalesPlanFactory,
    SalesRecordFactory,
)

# The product catalogue and the lost reasons are shared by everyone who can sign in; nothing in
# them belongs to a rep.
SHARED = {"product", "lostreason"}


def records_of(rep) -> dict:
    customer = CustomerFactory(owner=rep)
    deal = DealFactory(owner=rep, customer=customer)
    return {
        "customer": customer,
        "contact": ContactFactory(customer=customer),
        "deal": deal,
        "activity": ActivityFactory(owner=rep, customer=customer, deal=deal),
        "salesrecord": SalesRecordFactory(owner=rep, customer=customer),
        "plan": SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=rep),
    }


def _routes():
    """(basename, url prefix, detail?, http method, handler) for every route the router serves."""
    out = []
    for prefix, viewset, basename in router.registry:
        for route in DefaultRouter().get_routes(viewset):
            for method, handler in route.mapping.items():
                if hasattr(viewset, handler):
                    out.append((basename, prefix, route.detail, method, handler))
    return out


def _url(prefix: str, handler: str, pk) -> str:
    if handler in {"retrieve", "update", "partial_update", "destroy"}:
        return f"/api/{prefix}/{pk}/"
    if handler in {"list", "create"}:
        return f"/api/{prefix}/"
    return f"/api/{prefix}/{pk}/{handler.replace('_', '-')}/"


def test_every_registered_route_has_a_record_to_hide(db, rep):
    basenames = {basename for _prefix, _viewset, basename in router.registry}
    assert basenames == set(records_of(rep)) | SHARED


@pytest.mark.parametrize(
    ("basename", "prefix", "method", "handler"),
    [(b, p, m, h) for b, p, detail, m, h in _routes() if detail and b not in SHARED],
)
def test_another_reps_record_is_not_found_on_every_detail_route(
    rep, other_api, basename, prefix, method, handler
):
    record = records_of(rep)[basename]
    response = getattr(other_api, method)(_url(prefix, handler, record.pk), {}, format="json")
    assert response.status_code == 404, (method, handler, response.status_code, response.data)


@pytest.mark.parametrize(
    ("basename", "prefix"), [(b, p) for b, p, detail, m, h in _routes() if h == "list" and b not in SHARED]
)
def test_another_reps_records_are_left_out_of_every_list(rep, other_api, basename, prefix):
    record = records_of(rep)[basename]
    response = other_api.get(f"/api/{prefix}/")
    assert response.status_code == 200
    assert record.pk not in [row["id"] for row in response.data["results"]]
    assert response.data["count"] == 0


@pytest.mark.parametrize(
    ("basename", "prefix"), [(b, p) for b, p, detail, m, h in _routes() if h == "list" and b not in SHARED]
)
def test_the_owner_sees_the_record_in_the_list(rep, api, basename, prefix):
    record = records_of(rep)[basename]
    response = api.get(f"/api/{prefix}/")
    assert record.pk in [row["id"] for row in response.data["results"]]


def test_the_product_catalogue_is_shared(other_api):
    product = ProductFactory()
    assert other_api.get(f"/api/products/{product.pk}/").status_code == 200


def test_a_manager_sees_their_reps_deals_but_not_another_teams(manager_api, rep, other_rep):
    mine = DealFactory(owner=rep, customer__owner=rep)
    theirs = DealFactory(owner=other_rep, customer__owner=other_rep)
    ids = [row["id"] for row in manager_api.get("/api/deals/").data["results"]]
    assert ids == [mine.pk]
    assert manager_api.get(f"/api/deals/{theirs.pk}/").status_code == 404


def test_anonymous_requests_are_refused(client, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    assert client.get("/api/deals/").status_code in (401, 403)
    assert client.get(f"/api/deals/{deal.pk}/").status_code in (401, 403)


KINDS = {"customers": "customer", "deals": "deal", "activities": "activity", "sales-records": "salesrecord"}


def _new(prefix: str, rep, external_id: str) -> dict:
    customer = CustomerFactory(owner=rep)
    body = {
        "customers": {"name": "New Ltd"},
        "deals": {"title": "New deal", "customer": customer.pk},
        "activities": {"kind": "call", "subject": "Intro", "customer": customer.pk},
        "sales-records": {"customer": customer.pk, "amount": "10.00"},
    }[prefix]
    return {**body, "external_id": external_id}


def _give_external_id(record, external_id: str) -> None:
    type(record).objects.filter(pk=record.pk).update(external_id=external_id)


@pytest.mark.parametrize("prefix", list(KINDS))
def test_a_taken_external_id_is_refused_alike_whoever_holds_it(api, rep, other_rep, prefix):
    _give_external_id(records_of(rep)[KINDS[prefix]], "MINE-1")
    _give_external_id(records_of(other_rep)[KINDS[prefix]], "THEIRS-1")
    answers = [
        api.post(f"/api/{prefix}/", _new(prefix, rep, x), format="json") for x in ("MINE-1", "THEIRS-1")
    ]
    assert [a.status_code for a in answers] == [400, 400]
    mine, theirs = (str(a.data["external_id"][0]) for a in answers)
    # Nothing tells the rep whether the holder is theirs or someone else's, nor what it is.
    assert mine == theirs
    assert theirs.startswith("This external id is taken")
