"""The daily digest: each user who wants it gets, once a day after CRM_DIGEST_HOUR, an email of their
overdue and due-today activities, their open deals with no next step planned, and their deals at risk.

The ``Digest`` row for (user, day) is written before the email is sent and is the claim: two
workers never send a user two digests on one day. A worker killed between the two loses that day's
digest (at most once), which is the right side to err on for a summary that comes again tomorrow.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from automation.mail import build_email
from automation.models import Digest, Profile
from automation.profiles import profiles_by_user
from sales.metrics import overdue_q, slipped_q, stale_q
from sales.metrics.scope import day_bounds
from sales.models import Activity, Deal

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "automation.unsubscribe"


def unsubscribe_token(user, what: str = "daily_digest") -> str:
    return signing.dumps({"u": user.pk, "w": what}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("w") not in {"daily_digest", "reminder_emails"}:
        return None
    if not isinstance(data.get("u"), int):
        return None
    return data["u"], data["w"]


def recipients():
    """Active users with an email address who did not turn the digest off."""
    off = Profile.objects.filter(user=OuterRef("pk"), daily_digest=False)
    return get_user_model().objects.filter(is_active=True).exclude(email="").exclude(Exists(off))


def digest_content(user, today: datetime.date) -> dict:
    start, end = day_bounds(today, today)
    pending = Activity.objects.filter(owner=user).pending().select_related("deal", "customer")
    overdue = list(pending.filter(due_at__lt=start).order_by("due_at", "pk")[:50])
    due_today = list(pending.filter(due_at__gte=start, due_at__lt=end).order_by("due_at", "pk")[:50])
    planned = Activity.objects.pending().filter(deal=OuterRef("pk"))
    deals = Deal.objects.open().filter(owner=user).select_related("customer", "stage")
    no_next_step = list(deals.exclude(Exists(planned)).order_by("expected_close", "pk")[:50])
    at_risk = list(
        deals.filter(stale_q(today, settings.CRM_STALE_DAYS) | overdue_q(today) | slipped_q()).order_by(
            "expected_close", "pk"
        )[:50]
    )
    return {"overdue": overdue, "due_today": due_today, "no_next_step": no_next_step, "at_risk": at_risk}


def send_digests(now: datetime.datetime, *, force: bool = False) -> int:
    """Send today's digests not sent yet; before CRM_DIGEST_HOUR (business time) nothing, unless forced."""
    local = timezone.localtime(now)
    if local.hour < settings.CRM_DIGEST_HOUR and not force:
        return 0
    today = local.date()
    done = Digest.objects.filter(user=OuterRef("pk"), day=today)
    users = list(recipients().exclude(Exists(done)).order_by("pk"))
    profiles = profiles_by_user(users)
    connection = get_connection()
    sent = 0
    for user in users:
        try:
            with transaction.atomic():
                Digest.objects.create(user=user, day=today, sent_at=now)
        except IntegrityError:  # another worker has this one
            continue
        content = digest_content(user, today)
        if not any(content.values()):
            continue
        site = settings.CRM_SITE_URL
        context = {
            **content,
            "user": user,
            "today": today,
            "site": site,
            "unsubscribe_url": site + reverse("automation:unsubscribe", args=[unsubscribe_token(user)]),
        }
        email = build_email(
            key=f"digest-{user.pk}-{today.isoformat()}",
            to=user.email,
            language=profiles[user.pk].email_language,
            template="digest",
            context=context,
        )
        email.extra_headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        try:
            connection.send_messages([email])
        except Exception:
            log.exception("The digest for user %s could not be sent", user.pk)
            continue
        sent += 1
    return sent
