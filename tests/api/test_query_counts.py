"""Every API list runs the same number of queries at N and 2N rows."""

import pytest

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


def _make(kind: str, rep, n: int) -> None:
    for _ in range(n):
        customer = CustomerFactory(owner=rep)
        {
            "customers": lambda c: None,
            "contacts": lambda c: ContactFactory(customer=c),
            "deals": lambda c: DealFactory(owner=rep, customer=c, product=ProductFactory()),
            "activities": lambda c: ActivityFactory(owner=rep, customer=c),
            "sales-records": lambda c: SalesRecordFactory(owner=rep, customer=c),
            "plans": lambda c: SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=rep),
        }[kind](customer)


# With force_authenticate there is no session or user lookup. Each list: the page count and the
# page of rows with its foreign keys joined; plans also check their team or rep through a join.
EXPECTED = {
    "customers": 2,
    "contacts": 2,
    "deals": 3,  # plus the stage keys the deal filters validate against
    "activities": 2,
    "sales-records": 2,
    "plans": 2,
}


@pytest.mark.parametrize("rows", [3, 6])
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_every_list_runs_a_fixed_number_of_queries(api, rep, django_assert_num_queries, kind, rows):
    _make(kind, rep, rows)
    with django_assert_num_queries(EXPECTED[kind]):
        response = api.get(f"/api/{kind}/")
    assert response.data["count"] == rows
