"""Reminders: sent once, to the owner, in their language, when their time comes (acceptance 1)."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from automation.models import Notification, Profile, Reminder
from tests.automation.refusing_mail import RefusingEmailBackend
from tests.factories import ActivityFactory


def run_worker(at: datetime.datetime) -> None:
    call_command("worker", "--once", "--now", at.isoformat())


@pytest.fixture(autouse=True)
def _locmem_mail_and_no_digests(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CRM_DIGEST_HOUR = 24  # the digests have their own tests


@pytest.mark.django_db
def test_a_reminder_is_sent_once_to_the_owner_in_their_language(rep):
    rep.email = "rep@example.com"
    rep.save()
    Profile.objects.create(user=rep, language="zh-hans")
    now = timezone.now().replace(microsecond=0)
    activity = ActivityFactory(
        owner=rep,
        customer__owner=rep,
        subject="Call Acme",
        due_at=now + datetime.timedelta(minutes=10),
        remind_before=0,
    )

    run_worker(now)
    assert mail.outbox == []

    run_worker(now + datetime.timedelta(minutes=10, seconds=1))
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["rep@example.com"]
    assert email.subject == "提醒：Call Acme"
    assert f"/activities/{activity.pk}/" in email.body
    assert Notification.objects.get(user=rep).text == "提醒：Call Acme"

    run_worker(now + datetime.timedelta(minutes=11))
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_reminder_time_is_the_due_time_less_the_minutes_before(rep):
    due = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=2)
    activity = ActivityFactory(owner=rep, customer__owner=rep, due_at=due, remind_before=60)
    assert activity.remind_at == due - datetime.timedelta(hours=1)
    activity.remind_before = None
    activity.save(update_fields=["remind_before"])
    activity.refresh_from_db()
    assert activity.remind_at is None


@pytest.mark.django_db
def test_a_done_or_deleted_activity_is_not_reminded(rep):
    rep.email = "rep@example.com"
    rep.save()
    now = timezone.now().replace(microsecond=0)
    done = ActivityFactory(owner=rep, customer__owner=rep, due_at=now, remind_before=0)
    done.complete(at=now)
    gone = ActivityFactory(owner=rep, customer__owner=rep, due_at=now, remind_before=0)
    gone.delete()
    run_worker(now + datetime.timedelta(minutes=1))
    assert mail.outbox == []
    assert Reminder.objects.count() == 0


@pytest.mark.django_db
def test_an_activity_done_after_it_was_queued_is_skipped(rep):
    rep.email = "rep@example.com"
    rep.save()
    now = timezone.now().replace(microsecond=0)
    activity = ActivityFactory(owner=rep, customer__owner=rep, due_at=now, remind_before=0)
    Reminder.objects.create(activity=activity, remind_at=activity.remind_at)
    activity.complete(at=now)
    run_worker(now + datetime.timedelta(minutes=1))
    assert mail.outbox == []
    assert Reminder.objects.get().state == Reminder.State.SKIPPED


@pytest.mark.django_db
def test_a_bad_now_is_refused_with_a_message():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not an ISO date"):
        call_command("worker", "--once", "--now", "yesterday")


@pytest.mark.django_db
def test_the_activity_form_sets_a_reminder_and_refuses_one_without_a_due_time(rep_client, rep):
    from django.urls import reverse

    from sales.models import Activity
    from tests.factories import CustomerFactory

    customer = CustomerFactory(owner=rep)
    url = reverse("sales:activity_create")
    base = {"kind": "call", "subject": "Call back", "customer": customer.pk}
    refused = rep_client.post(url, {**base, "remind_before": "15"})
    assert refused.status_code in (200, 400)
    assert "A reminder needs a due time." in refused.content.decode()
    assert not Activity.objects.exists()

    rep_client.post(url, {**base, "due_at": "2026-12-08T10:00", "remind_before": "15"})
    activity = Activity.objects.get()
    assert timezone.localtime(activity.remind_at).strftime("%Y-%m-%d %H:%M") == "2026-12-08 09:45"


@pytest.mark.django_db
def test_moving_the_due_time_sends_the_reminder_again_at_the_new_time(rep, settings):
    rep.email = "rep@example.com"
    rep.save()
    now = timezone.now().replace(microsecond=0)
    activity = ActivityFactory(owner=rep, customer__owner=rep, due_at=now, remind_before=0)
    run_worker(now + datetime.timedelta(minutes=1))
    activity.due_at = now + datetime.timedelta(hours=2)
    activity.save()
    run_worker(now + datetime.timedelta(hours=1))
    assert len(mail.outbox) == 1
    run_worker(now + datetime.timedelta(hours=2, minutes=1))
    assert len(mail.outbox) == 2
    assert Reminder.objects.filter(state=Reminder.State.SENT).count() == 2


@pytest.mark.django_db
def test_reminder_emails_turned_off_still_notify_in_the_app(rep):
    rep.email = "rep@example.com"
    rep.save()
    Profile.objects.create(user=rep, reminder_emails=False)
    now = timezone.now().replace(microsecond=0)
    ActivityFactory(owner=rep, customer__owner=rep, due_at=now, remind_before=0)
    run_worker(now + datetime.timedelta(minutes=1))
    assert mail.outbox == []
    assert Notification.objects.filter(user=rep).count() == 1


@pytest.mark.django_db
def test_the_api_sets_a_reminder_and_refuses_one_without_a_due_time(rep_client, rep):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(owner=rep)
    base = {"kind": "call", "subject": "Call back", "customer": customer.pk}
    refused = rep_client.post(
        "/api/activities/", {**base, "remind_before": 60}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert refused.json()["remind_before"] == ["A reminder needs a due time."]
    bad = rep_client.post(
        "/api/activities/",
        {**base, "due_at": "2026-12-08T10:00:00Z", "remind_before": 7},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "remind_before" in bad.json()

    made = rep_client.post(
        "/api/activities/",
        {**base, "due_at": "2026-12-08T10:00:00Z", "remind_before": 60},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert made.json()["remind_at"].startswith("2026-12-08T09:00:00")


@pytest.mark.django_db
def test_a_reminder_the_mail_server_keeps_refusing_is_tried_five_times_then_only_notified(
    rep, settings, client, caplog
):
    settings.EMAIL_BACKEND = "tests.automation.refusing_mail.RefusingEmailBackend"
    settings.CRM_REMINDER_LEASE_SECONDS = 120
    RefusingEmailBackend.tries = 0
    rep.email = "rep@example.com"
    rep.save()
    now = timezone.now().replace(microsecond=0)
    ActivityFactory(owner=rep, customer__owner=rep, subject="Call Acme", due_at=now, remind_before=0)

    for attempt in range(1, 5):
        run_worker(now + datetime.timedelta(seconds=1 + 121 * (attempt - 1)))
        reminder = Reminder.objects.get()
        assert (reminder.state, reminder.attempts) == (Reminder.State.SENDING, attempt)
        assert RefusingEmailBackend.tries == attempt
        # Within the lease nobody tries again.
        run_worker(now + datetime.timedelta(seconds=60 + 121 * (attempt - 1)))
        assert RefusingEmailBackend.tries == attempt
    assert not Notification.objects.exists()

    run_worker(now + datetime.timedelta(seconds=1 + 121 * 4))
    reminder = Reminder.objects.get()
    assert (reminder.state, reminder.attempts, reminder.lease_until) == (Reminder.State.FAILED, 5, None)
    assert Notification.objects.get(user=rep).text == "Reminder: Call Acme"
    assert "not emailed after 5 tries" in caplog.text

    run_worker(now + datetime.timedelta(hours=1))
    assert RefusingEmailBackend.tries == 5
    assert Notification.objects.count() == 1
    assert client.get("/health/").json()["queue"]["reminders_failed"] == 1


@pytest.mark.django_db
def test_a_reminder_whose_last_try_died_with_its_worker_is_marked_failed(rep, settings):
    settings.CRM_REMINDER_MAX_ATTEMPTS = 2
    rep.email = "rep@example.com"
    rep.save()
    now = timezone.now().replace(microsecond=0)
    activity = ActivityFactory(owner=rep, customer__owner=rep, due_at=now, remind_before=0)
    # Claimed for the second time by a worker that was killed before it sent anything.
    Reminder.objects.create(
        activity=activity,
        remind_at=activity.remind_at,
        state=Reminder.State.SENDING,
        worker="killed",
        lease_until=now + datetime.timedelta(minutes=1),
        attempts=2,
    )
    run_worker(now + datetime.timedelta(seconds=30))
    assert Reminder.objects.get().state == Reminder.State.SENDING

    run_worker(now + datetime.timedelta(minutes=2))
    assert Reminder.objects.get().state == Reminder.State.FAILED
    assert mail.outbox == []
    assert Notification.objects.filter(user=rep).count() == 1
