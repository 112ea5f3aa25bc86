"""The worker keeps "Suggested next" fresh: nightly, and soon after new sales, never in a loop."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from automation.recommendations import rebuild_when_due
from sales.models import CustomerSuggestion, RecommendationRow, SalesRecord
from tests.factories import CustomerFactory, ProductFactory, SalesRecordFactory

pytestmark = pytest.mark.django_db


def sale(owner, customer, product, on=datetime.date(2026, 11, 1)):
    return SalesRecordFactory(
        owner=owner, customer=customer, product=product, amount=Decimal("10"), sold_on=on
    )


def test_nightly_once_then_again_only_after_new_sales_and_a_pause(rep, settings):
    settings.CRM_RECOMMEND_REBUILD_MINUTES = 10
    a, b = ProductFactory(name="Hardware kit"), ProductFactory(name="Support plan")
    buyers = [CustomerFactory(owner=rep) for _ in range(3)]
    for customer in buyers:
        sale(rep, customer, a)
        sale(rep, customer, b)
    late = CustomerFactory(owner=rep)
    sale(rep, late, a)
    # At fixed times of one day, whatever the clock says when the test runs.
    noon = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(12)))
    SalesRecord.objects.update(created_at=noon - datetime.timedelta(minutes=5))
    NOW = noon  # after the sales were recorded
    assert rebuild_when_due(NOW) is True  # tonight's build
    assert RecommendationRow.objects.exists()
    assert list(CustomerSuggestion.objects.values_list("customer_id", "product_id")) == [(late.pk, b.pk)]
    # Nothing new: the next rounds of the day do nothing.
    assert rebuild_when_due(NOW + datetime.timedelta(minutes=1)) is False
    assert rebuild_when_due(NOW + datetime.timedelta(hours=5)) is False
    # A sale comes in (an import, a won deal): rebuilt once the pause since the last build is over.
    newcomer = CustomerFactory(owner=rep)
    sale(rep, newcomer, a)
    SalesRecord.objects.filter(customer=newcomer).update(created_at=noon + datetime.timedelta(hours=6))
    NOW = noon + datetime.timedelta(hours=6) - datetime.timedelta(minutes=1)
    RecommendationRow.objects.update(built_at=NOW)
    assert rebuild_when_due(NOW + datetime.timedelta(minutes=5)) is False
    assert rebuild_when_due(NOW + datetime.timedelta(minutes=11)) is True
    assert CustomerSuggestion.objects.filter(customer=newcomer, product=b).exists()
    # The next day has its own nightly build.
    assert rebuild_when_due(NOW + datetime.timedelta(days=1)) is True
