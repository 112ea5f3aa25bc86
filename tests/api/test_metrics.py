import datetime
from decimal import Decimal

from sales.models import SalesPlan
from tests.factories import CustomerFactory, DealFactory, SalesPlanFactory, SalesRecordFactory

PERIOD = {"start": "2024-01-01", "end": "2024-03-31"}


def _seed_example(owner) -> None:
    """The source document's own example: needs and executions 10..50, M = 0.5, P = 0.6."""
    SalesPlanFactory(
        scope=SalesPlan.Scope.COMPANY,
        period_start=datetime.date(2024, 1, 1),
        period_end=datetime.date(2024, 12, 31),
        target_ratio=Decimal("0.5"),
        activity_ratio=Decimal("0.6"),
    )
    for value in (10, 20, 30, 40, 50):
        customer = CustomerFactory(owner=owner, need=Decimal(value))
        SalesRecordFactory(
            customer=customer, owner=owner, amount=Decimal(value), sold_on=datetime.date(2024, 2, 1)
        )


def test_the_metrics_give_the_source_documents_example(api, rep):
    _seed_example(rep)
    response = api.get("/api/metrics/", PERIOD)
    assert response.status_code == 200, response.data
    assert response.data["indicators"]["indicators"] == {
        "need": "30.00",
        "target": "15.00",
        "activity_plan": "9.00",
        "execution": "30.00",
        "effectiveness": "200.00",
    }
    assert response.data["scope"]["owner_id"] == rep.pk


def test_another_rep_sees_none_of_the_reps_numbers(rep, other_api):
    _seed_example(rep)
    DealFactory(owner=rep, customer__owner=rep)
    data = other_api.get("/api/metrics/", PERIOD).data
    assert data["indicators"]["indicators"]["need"] is None
    assert data["indicators"]["customers"] == 0
    assert data["summary"]["open_deals"] == 0


def test_a_rep_cannot_ask_for_another_reps_metrics(rep, other_api):
    response = other_api.get("/api/metrics/", {**PERIOD, "owner": rep.pk})
    assert response.status_code == 400
    assert "owner" in response.data


def test_a_manager_narrows_the_metrics_to_a_rep_of_their_team(manager_api, manager, rep):
    DealFactory(owner=rep, customer__owner=rep, amount=Decimal("700"))
    DealFactory(owner=manager, customer__owner=manager, amount=Decimal("5"))
    data = manager_api.get("/api/metrics/", {"owner": rep.pk}).data
    assert (data["summary"]["open_deals"], data["summary"]["open_amount"]) == (1, "700.00")


def test_a_period_that_ends_before_it_starts_is_a_400(api):
    response = api.get("/api/metrics/", {"start": "2024-03-01", "end": "2024-01-01"})
    assert response.status_code == 400
    assert "end" in response.data


def test_dates_far_outside_business_history_are_a_400_not_an_overflow(api):
    assert api.get("/api/metrics/", {"start": "0001-01-01", "end": "9999-12-31"}).status_code == 400
