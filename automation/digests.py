"""Digests. Daily: each user who wants it gets, once a day after CRM_DIGEST_HOUR, an email of their
overdue and due-today activities, their open deals with no next step planned, and their deals at
risk. Weekly: each manager gets, on CRM_WEEKLY_DIGEST_WEEKDAY, the team's indicators R, T, A, E, F,
won revenue against the month's target, the pipeline's change since last week and the deals at risk.

The ``Digest`` row for (user, kind, day) is written before the email is sent and is the claim: two
workers never send a user two digests of a kind on one day. A worker killed between the two loses
that digest (at most once), the right side to err on for a summary that comes again.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import get_connection
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation

from automation.mail import build_email
from automation.models import Digest, Profile
from automation.once import first_to
from automation.profiles import profiles_by_user
from automation.trend import pipeline_trend
from people.visibility import MANAGERS_GROUP
from sales.dashboard.filters import preset_period
from sales.metrics import Scope, overdue_q, overview, slipped_q, stale_q, visible_sources
from sales.metrics.scope import day_bounds
from sales.models import Activity, Deal

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "automation.unsubscribe"
UNSUBSCRIBABLE = {"daily_digest", "weekly_digest", "reminder_emails"}


def unsubscribe_token(user, what: str = "daily_digest") -> str:
    return signing.dumps({"u": user.pk, "w": what}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("w") not in UNSUBSCRIBABLE:
        return None
    if not isinstance(data.get("u"), int):
        return None
    return data["u"], data["w"]


def recipients(preference: str = "daily_digest"):
    """Active users with an email address who did not turn ``preference`` off."""
    off = Profile.objects.filter(user=OuterRef("pk"), **{preference: False})
    return get_user_model().objects.filter(is_active=True).exclude(email="").exclude(Exists(off))


def _claim(user, kind: str, day: datetime.date, now: datetime.datetime) -> bool:
    return first_to(lambda: Digest.objects.create(user=user, kind=kind, day=day, sent_at=now))


def _unsubscribe_url(user, what: str) -> str:
    return settings.CRM_SITE_URL + reverse("automation:unsubscribe", args=[unsubscribe_token(user, what)])


def digest_content(user, today: datetime.date) -> dict:
    start, end = day_bounds(today, today)
    mine = Activity.objects.visible_to(user).filter(owner=user).select_related("deal", "customer")
    overdue = list(mine.overdue(start).order_by("due_at", "pk")[:50])
    due_today = list(mine.due_between(start, end).order_by("due_at", "pk")[:50])
    planned = Activity.objects.pending().filter(deal=OuterRef("pk"))
    deals = Deal.objects.visible_to(user).open().filter(owner=user).select_related("customer", "stage")
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
    return _send(recipients(), Digest.Kind.DAILY, local.date(), now, _daily_context)


def _daily_context(user, today: datetime.date) -> dict | None:
    content = digest_content(user, today)
    return (
        {**content, "unsubscribe_url": _unsubscribe_url(user, "daily_digest")}
        if any(content.values())
        else None
    )


def managers():
    """Users who manage a team, or are in the managers' group, and want the weekly digest."""
    teams = Q(managed_teams__isnull=False) | Q(co_managed_teams__isnull=False)
    teams |= Q(groups__name=MANAGERS_GROUP)
    ids = get_user_model().objects.filter(teams).values("pk")
    return recipients("weekly_digest").filter(pk__in=ids)


def weekly_content(manager, today: datetime.date) -> dict:
    start, end = preset_period("month", today)
    data = overview(
        visible_sources(manager), Scope(start, end), today=today, stale_days=settings.CRM_STALE_DAYS
    )
    trend = pipeline_trend(manager, today=today)
    return {
        "indicators": data.indicators.indicators,
        "attainment": data.attainment,
        "month_start": start,
        "pipeline": trend.latest,
        "pipeline_change": trend.change_week,
        "risks": [row.deal for row in data.risk_rows],
    }


def send_weekly_digests(now: datetime.datetime) -> int:
    """On CRM_WEEKLY_DIGEST_WEEKDAY from CRM_DIGEST_HOUR, each manager's weekly digest, once."""
    local = timezone.localtime(now)
    if local.weekday() != settings.CRM_WEEKLY_DIGEST_WEEKDAY or local.hour < settings.CRM_DIGEST_HOUR:
        return 0
    return _send(managers(), Digest.Kind.WEEKLY, local.date(), now, _weekly_context)


def _weekly_context(user, today: datetime.date) -> dict:
    return {
        **weekly_content(user, today),
        "dashboard_url": settings.CRM_SITE_URL + reverse("sales:dashboard"),
        "trend_url": settings.CRM_SITE_URL + reverse("automation:pipeline_trend"),
        "unsubscribe_url": _unsubscribe_url(user, "weekly_digest"),
    }


# kind: (email key and template, what the log calls it)
_MAILS = {Digest.Kind.DAILY: ("digest", "digest"), Digest.Kind.WEEKLY: ("weekly", "weekly digest")}


def _send(users, kind: str, today: datetime.date, now: datetime.datetime, context_for) -> int:
    """Send ``kind`` of digest to each of ``users`` who has not had today's, once each; a user whose
    ``context_for`` is ``None`` has nothing to say (and is still claimed)."""
    done = Digest.objects.filter(user=OuterRef("pk"), kind=kind, day=today)
    users = list(users.exclude(Exists(done)).order_by("pk"))
    profiles = profiles_by_user(users)
    connection = get_connection()
    template, label = _MAILS[kind]
    sent = 0
    for user in users:
        if not _claim(user, kind, today, now):
            continue
        language = profiles[user.pk].email_language
        with translation.override(language):
            content = context_for(user, today)
        if content is None:
            continue
        context = {**content, "user": user, "today": today, "site": settings.CRM_SITE_URL}
        email = build_email(
            key=f"{template}-{user.pk}-{today.isoformat()}",
            to=user.email,
            language=language,
            template=template,
            context=context,
        )
        email.extra_headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        try:
            connection.send_messages([email])
        except Exception:
            log.exception("The %s for user %s could not be sent", label, user.pk)
            continue
        sent += 1
    return sent
