"""The timelines of the deal and customer pages: stage moves and activities, newest first."""

import datetime
from dataclasses import dataclass

from django.db.models import Q

from customers.models import Customer
from sales.models import Activity, Deal, StageChange


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime.datetime
    kind: str  # "stage" or "activity"
    item: object


def activity_time(activity: Activity) -> datetime.datetime:
    return activity.done_at or activity.due_at or activity.created_at


def deal_timeline(deal: Deal) -> list[TimelineEntry]:
    """Stage moves and activities of ``deal``, newest first (two queries).

    A move that takes a won or lost deal back to open is marked ``reopened``: the ledger row alone
    cannot tell a lost deal reopened in another stage from a move.
    """
    moves = list(
        StageChange.objects.filter(deal=deal)
        .select_related("from_stage", "to_stage", "changed_by")
        .order_by("changed_at", "pk")
    )
    previous = None
    for move in moves:
        closed_before = previous is not None and previous != Deal.Status.OPEN
        move.reopened = closed_before and move.status == Deal.Status.OPEN
        previous = move.status
    activities = Activity.objects.filter(deal=deal).select_related("owner")
    entries = [TimelineEntry(m.changed_at, "stage", m) for m in moves]
    entries += [TimelineEntry(activity_time(a), "activity", a) for a in activities]
    return sorted(entries, key=lambda e: e.when, reverse=True)


def customer_timeline(customer: Customer, *, user, limit: int = 100) -> list[TimelineEntry]:
    """The latest activities on the customer or any of its deals ``user`` may see (one query).

    Another rep's deal on this customer stays out, and so do the activities logged on it.
    """
    visible_deals = Deal.objects.visible_to(user).filter(customer=customer).values("pk")
    activities = (
        Activity.objects.filter(Q(customer=customer, deal__isnull=True) | Q(deal__in=visible_deals))
        .select_related("owner", "deal")
        .order_by("-created_at", "-pk")[:limit]
    )
    entries = [TimelineEntry(activity_time(a), "activity", a) for a in activities]
    return sorted(entries, key=lambda e: e.when, reverse=True)
