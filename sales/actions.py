"""Writes that span several models. Plain functions, keyword-only, one transaction each."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from sales.models import Deal, DealError, Product, Stage, StageChange


@transaction.atomic
def create_deal(
    *,
    customer: Customer,
    title: str,
    owner,
    by,
    amount: Decimal = Decimal("0"),
    stage: Stage | None = None,
    probability: Decimal | None = None,
    opened_on: datetime.date | None = None,
    expected_close: datetime.date | None = None,
    channel: str = "",
    product: Product | None = None,
    external_id: str | None = None,
    at: datetime.datetime | None = None,
) -> Deal:
    """Open a deal in an open stage (the first by default) and record its entry into the pipeline."""
    stage = stage or Stage.objects.open().order_by("order").first()
    if stage is None or not stage.is_open:
        raise DealError("A new deal starts in an open stage.")
    deal = Deal.objects.create(
        customer=customer,
        title=title,
        owner=owner,
        amount=amount,
        stage=stage,
        probability=stage.default_probability if probability is None else probability,
        probability_overridden=probability is not None,
        opened_on=opened_on or timezone.localdate(),
        expected_close=expected_close,
        original_expected_close=expected_close,
        channel=channel or customer.channel,
        product=product,
        external_id=external_id,
    )
    StageChange.objects.create(
        deal=deal,
        from_stage=None,
        to_stage=stage,
        status=deal.status,
        changed_at=at or timezone.now(),
        changed_by=by,
        amount=deal.amount,
        probability=deal.probability,
        expected_close=deal.expected_close,
    )
    return deal
