"""The bell, the notifications page, email preferences, the daily digest and its unsubscribe link."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from automation.digests import send_digests, unsubscribe_token
from automation.models import Digest, Notification, Profile
from tests.factories import ActivityFactory, DealFactory, NotificationFactory


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CRM_DIGEST_HOUR = 7
    settings.TIME_ZONE = "UTC"


@pytest.mark.django_db
def test_the_bell_counts_unread_and_opening_marks_read(rep_client, rep, other_rep):
    mine = NotificationFactory(user=rep, url="/activities/")
    NotificationFactory(user=rep)
    NotificationFactory(user=rep, read_at=timezone.now())
    NotificationFactory(user=other_rep)

    assert 'data-unread="2"' in rep_client.get(reverse("automation:bell")).content.decode()
    response = rep_client.get(reverse("automation:notification_open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == "/activities/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert 'data-unread="1"' in rep_client.get(reverse("automation:bell")).content.decode()

    rep_client.post(reverse("automation:notifications_read"))
    assert "data-unread" not in rep_client.get(reverse("automation:bell")).content.decode()


@pytest.mark.django_db
def test_another_users_notification_is_404(rep_client, other_rep):
    theirs = NotificationFactory(user=other_rep, text="Their reminder")
    assert rep_client.get(reverse("automation:notification_open", args=[theirs.pk])).status_code == 404
    assert "Their reminder" not in rep_client.get(reverse("automation:notifications")).content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.django_db
def test_a_notification_pointing_elsewhere_is_not_followed(rep_client, rep):
    odd = NotificationFactory(user=rep, url="https://evil.example.com/")
    response = rep_client.get(reverse("automation:notification_open", args=[odd.pk]))
    assert response["Location"] == reverse("automation:notifications")


@pytest.mark.django_db
def test_preferences_are_saved_and_a_bad_value_is_a_400(rep_client, rep):
    url = reverse("automation:preferences")
    assert rep_client.get(url).status_code == 200
    response = rep_client.post(url, {"language": "zh-hans", "reminder_emails": "on"})
    assert response.status_code == 302
    profile = Profile.objects.get(user=rep)
    assert (profile.language, profile.daily_digest, profile.reminder_emails) == ("zh-hans", False, True)
    assert rep_client.post(url, {"language": "klingon"}).status_code == 400


def morning(day: datetime.date, hour: int = 8) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_the_digest_lists_what_is_due_and_the_deals_without_a_next_step(rep, other_rep):
    rep.email, other_rep.email = "rep@example.com", "other@example.com"
    rep.save()
    other_rep.save()
    today = timezone.localdate()
    now = morning(today)
    ActivityFactory(
        owner=rep, customer__owner=rep, subject="Overdue call", due_at=now - datetime.timedelta(days=2)
    )
    ActivityFactory(
        owner=rep, customer__owner=rep, subject="Lunch today", due_at=now + datetime.timedelta(hours=4)
    )
    ActivityFactory(
        owner=rep, customer__owner=rep, subject="Next week", due_at=now + datetime.timedelta(days=7)
    )
    done = ActivityFactory(owner=rep, customer__owner=rep, subject="Done call", due_at=now)
    done.complete(at=now)
    planned = DealFactory(owner=rep, customer__owner=rep, title="Planned deal")
    ActivityFactory(
        owner=rep, customer=planned.customer, deal=planned, due_at=now + datetime.timedelta(days=3)
    )
    DealFactory(owner=rep, customer__owner=rep, title="Drifting deal")

    assert send_digests(morning(today, hour=6)) == 0  # before the digest hour
    assert send_digests(now) == 1  # other_rep has nothing to say
    assert send_digests(now) == 0  # once a day

    (email,) = mail.outbox
    assert email.to == ["rep@example.com"]
    body = email.body
    assert "Overdue call" in body and "Lunch today" in body
    assert "Next week" not in body and "Done call" not in body
    section = body.split("Deals without a next step")[1]
    assert "Drifting deal" in section and "Planned deal" not in section.split("Deals at risk")[0]
    assert Digest.objects.filter(day=today).count() == 2


@pytest.mark.django_db
def test_the_digest_is_in_the_users_language_and_unsubscribes_without_sign_in(client, rep):
    rep.email = "rep@example.com"
    rep.save()
    Profile.objects.create(user=rep, language="zh-hans")
    now = morning(timezone.localdate())
    ActivityFactory(owner=rep, customer__owner=rep, subject="Call", due_at=now)
    send_digests(now)
    (email,) = mail.outbox
    assert email.subject.startswith("您在 CRM 中的一天")
    link = re.search(r"http://\S+/unsubscribe/(\S+)/", email.body)
    assert email.extra_headers["List-Unsubscribe"] == f"<{link.group(0)}>"

    path = f"/unsubscribe/{link.group(1)}/"
    assert client.get(path).status_code == 200
    assert Profile.objects.get(user=rep).daily_digest is True  # opening the link only asks
    assert client.post(path).status_code == 200
    assert Profile.objects.get(user=rep).daily_digest is False

    mail.outbox.clear()
    Digest.objects.all().delete()
    send_digests(now)
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_tampered_unsubscribe_link_is_a_400(client, rep):
    token = unsubscribe_token(rep)
    assert client.post(f"/unsubscribe/{token[:-2]}xx/").status_code == 400
    assert not Profile.objects.filter(user=rep, daily_digest=False).exists()
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_managers_get_the_weekly_team_digest_once(manager, rep, team, other_rep, other_team, settings):
    from automation.digests import send_weekly_digests
    from automation.models import PipelineSnapshot
    from sales.models import Stage

    manager.email, rep.email = "manager@example.com", "rep@example.com"
    manager.save()
    rep.save()
    today = timezone.localdate()
    settings.CRM_WEEKLY_DIGEST_WEEKDAY = today.weekday()
    now = morning(today)
    won = DealFactory(owner=rep, customer__owner=rep, title="Big win", amount="1234")
    won.win(by=rep, at=now)
    DealFactory(
        owner=rep, customer__owner=rep, title="Late deal", expected_close=today - datetime.timedelta(days=3)
    )
    DealFactory(
        owner=other_rep,
        customer__owner=other_rep,
        title="Not my team",
        expected_close=today - datetime.timedelta(days=3),
    )
    lead = Stage.objects.get(key="lead")
    for day, amount in ((today, "1100"), (today - datetime.timedelta(days=7), "1000")):
        PipelineSnapshot.objects.create(day=day, owner=rep, stage=lead, deals=1, amount=amount, weighted="0")

    assert send_weekly_digests(morning(today + datetime.timedelta(days=1))) == 0  # another weekday
    assert send_weekly_digests(now) == 2  # the manager and other_team's manager
    assert send_weekly_digests(now) == 0

    (email,) = [m for m in mail.outbox if m.to == ["manager@example.com"]]
    body = email.body
    assert "Sales: $1,234.00" in body
    assert "10.0 % since last week" in body
    assert "Late deal" in body and "Not my team" not in body
    assert "/unsubscribe/" in body
    assert not [m for m in mail.outbox if m.to == ["rep@example.com"]]  # reps get no weekly digest
