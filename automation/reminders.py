"""Sending each due reminder once: queue, claim with a lease, send, record.

1. ``queue_due`` makes a ``Reminder`` row for every activity whose reminder time has come and that
   has none for that time yet (a unique constraint makes the insert safe to repeat and to race).
2. ``claim`` takes a batch of waiting rows, or rows whose claim expired, with
   ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's immediate transactions serialise the
   claim instead) and marks them ``sending`` with the worker's id and a lease, in one short
   transaction: two workers never hold the same reminder.
3. ``deliver`` sends the email and then, in one transaction, makes the in-app notification and marks
   the reminder ``sent`` — only if this worker still holds it.

A worker killed after claiming leaves rows ``sending``; once their lease runs out another worker
sends them. Killed between sending and recording, the email goes out again: the email keeps its key
(header and Message-ID), and the file backend overwrites the first copy. See docs/automation.md.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from automation.mail import build_email
from automation.models import Notification, Reminder
from automation.profiles import profile_of
from sales.models import Activity

BATCH = 10
log = logging.getLogger(__name__)


def queue_due(now: datetime.datetime) -> int:
    known = Reminder.objects.filter(activity=OuterRef("pk"), remind_at=OuterRef("remind_at"))
    due = (
        Activity.objects.filter(remind_at__lte=now, done_at__isnull=True, cancelled_at__isnull=True)
        .exclude(Exists(known))
        .values_list("pk", "remind_at")
    )
    rows = [Reminder(activity_id=pk, remind_at=at) for pk, at in due]
    Reminder.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def claim(now: datetime.datetime, worker: str, limit: int = BATCH) -> list[int]:
    lease = now + datetime.timedelta(seconds=settings.CRM_REMINDER_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(
            Reminder.objects.claimable(now)
            .order_by("remind_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        Reminder.objects.filter(pk__in=ids).update(
            state=Reminder.State.SENDING, worker=worker, lease_until=lease, attempts=F("attempts") + 1
        )
    return ids


def _mine(pk: int, worker: str):
    return Reminder.objects.filter(pk=pk, worker=worker, state=Reminder.State.SENDING)


def deliver(pk: int, now: datetime.datetime, worker: str, connection) -> bool:
    """Send one claimed reminder; False if it was not sent (done, moved, or taken over)."""
    reminder = (
        _mine(pk, worker)
        .select_related("activity__owner__crm_profile", "activity__deal", "activity__customer")
        .first()
    )
    if reminder is None:
        return False
    activity = reminder.activity
    if (
        activity.done_at is not None
        or activity.cancelled_at is not None
        or activity.remind_at != reminder.remind_at
    ):
        _mine(pk, worker).update(state=Reminder.State.SKIPPED, lease_until=None)
        return False
    owner = activity.owner
    profile = profile_of(owner)
    language = profile.email_language
    link = reverse("sales:activity_edit", args=[activity.pk])
    if owner.is_active and owner.email and profile.reminder_emails:
        email = build_email(
            key=reminder.idempotency_key,
            to=owner.email,
            language=language,
            template="reminder",
            context={"activity": activity, "owner": owner, "url": settings.CRM_SITE_URL + link},
        )
        connection.send_messages([email])
    with transaction.atomic():
        _notify(reminder, now)
        _mine(pk, worker).update(state=Reminder.State.SENT, sent_at=now, lease_until=None)
    return True


def _notify(reminder: Reminder, now: datetime.datetime) -> None:
    """The reminder's in-app notification, made once whatever happens to its email."""
    activity = reminder.activity
    with translation.override(profile_of(activity.owner).email_language):
        text = _("Reminder: %(subject)s") % {"subject": activity.subject}
    Notification.objects.get_or_create(
        key=f"reminder:{reminder.pk}",
        defaults={
            "user": activity.owner,
            "text": text[:300],
            "url": reverse("sales:activity_edit", args=[activity.pk]),
            "created_at": now,
        },
    )


def give_up(reminders, now: datetime.datetime) -> int:
    """Mark ``reminders`` failed: their email could not be sent in as many tries as a reminder gets.
    The owner is still reminded in the app; the email is not tried again."""
    failed = 0
    for reminder in reminders.select_related("activity__owner__crm_profile"):
        with transaction.atomic():
            if Reminder.objects.filter(
                pk=reminder.pk, state=reminder.state, attempts=reminder.attempts
            ).update(state=Reminder.State.FAILED, lease_until=None):
                _notify(reminder, now)
                failed += 1
                log.error(
                    "Reminder %s not emailed after %s tries; notified in the app",
                    reminder.pk,
                    reminder.attempts,
                )
    return failed


def send_due_reminders(now: datetime.datetime, worker: str) -> int:
    queue_due(now)
    give_up(Reminder.objects.spent(now), now)
    sent = 0
    connection = get_connection()
    while ids := claim(now, worker):
        for pk in ids:
            try:
                sent += deliver(pk, now, worker, connection)
            except Exception:
                # Left "sending": once its lease runs out a later round tries again, until the
                # reminder has had all its tries.
                log.exception("Reminder %s could not be sent", pk)
                give_up(_mine(pk, worker).filter(attempts__gte=settings.CRM_REMINDER_MAX_ATTEMPTS), now)
    return sent
