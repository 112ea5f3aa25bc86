"""Writes that span several models. Plain functions, keyword-only, one transaction each."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.models import Contact, Customer
from history.actor import acting_as
from sales.models import Deal, DealError, Product, Stage


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
    contact: Contact | None = None,
    external_id: str | None = None,
    at: datetime.datetime | None = None,
) -> Deal:
    """Open a deal (in the first stage unless told otherwise) and record its entry into the pipeline."""
    deal = Deal(
        customer=customer,
        title=title,
        owner=owner,
        amount=amount,
        stage=stage,
        probability=probability,
        probability_overridden=probability is not None,
        opened_on=opened_on or timezone.localdate(),
        expected_close=expected_close,
        channel=channel or customer.channel,
        product=product,
        contact=contact,
        external_id=external_id,
    )
    return open_deal(deal, by=by, at=at)


@transaction.atomic
def open_deal(deal: Deal, *, by, at: datetime.datetime | None = None) -> Deal:
    """Save a new, unsaved deal and record its entry; a deal created in a later stage moves there.

    Entering through the first open stage and then moving keeps one rule for winning: a deal that
    reaches ``buy`` gets its sales record the same way whichever path it took.
    """
    if deal.pk is not None:
        raise DealError("open_deal takes a deal that is not saved yet.")
    first = Stage.objects.open().order_by("order").first()
    target = deal.stage if deal.stage_id else first
    entry = target if target.is_open else first
    at = at or timezone.now()
    deal.stage = entry
    if not deal.probability_overridden or deal.probability is None:
        deal.probability = entry.default_probability
        deal.probability_overridden = False
    deal.status = Deal.Status.OPEN
    deal.closed_on = None
    deal.original_expected_close = deal.expected_close
    with acting_as(by):
        deal.save()
    deal.record_stage_change(from_stage=None, by=by, at=at)
    if target != entry:
        deal.move_to(target, by=by, at=at)
    return deal
