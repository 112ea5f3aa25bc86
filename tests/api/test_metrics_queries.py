"""/api/metrics/ runs a fixed number of queries whatever the number of plans, deals and records."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import CustomerFactory, DealFactory, RepFactory, SalesPlanFactory, SalesRecordFactory


def _grow(n: int, team) -> None:
    for i in range(n):
        rep = RepFactory()
        team.members.add(rep)
        customer = CustomerFactory(owner=rep, need=Decimal("100"))
        DealFactory(owner=rep, customer=customer, expected_close=datetime.date(2025, 2, 1))
        SalesRecordFactory(owner=rep, customer=customer, sold_on=datetime.date(2025, 1, i % 28 + 1))
        month = datetime.date(2025, i % 3 + 1, 1)
        SalesPlanFactory(
            scope="rep",
            rep=rep,
            period_start=month,
            period_end=datetime.date(2025, i % 3 + 2, 1) - datetime.timedelta(days=1),
            revenue_quota=Decimal("1000"),
            product_category=f"C{i % 2}",
        )


def _count(manager, team) -> tuple[int, dict]:
    api = APIClient()
    api.force_authenticate(type(manager).objects.get(pk=manager.pk))  # nothing cached on the user
    with CaptureQueriesContext(connection) as queries:
        body = api.get("/api/metrics/", {"start": "2025-01-01", "end": "2025-03-31", "team": team.pk}).json()
    return len(queries), body


@pytest.mark.django_db
def test_the_metrics_run_the_same_queries_at_n_and_2n(manager, team):
    _grow(3, team)
    at_n, body = _count(manager, team)
    assert body["quota"]["plans"] == 3
    _grow(3, team)
    at_2n, body = _count(manager, team)
    assert body["quota"]["plans"] == 6 and len(body["leaders"]) == 6
    assert at_n == at_2n
