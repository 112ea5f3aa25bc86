"""/health/: each part's state for load balancers; 503 when no worker beat recently (acceptance 5)."""

import datetime

import pytest
from django.utils import timezone

from automation.models import Heartbeat, Reminder
from tests.factories import ActivityFactory


@pytest.mark.django_db
def test_healthy_with_a_recent_heartbeat(client, settings, rep):
    settings.CRM_HEALTH_HEARTBEAT_SECONDS = 60
    now = timezone.now()
    Heartbeat.objects.create(worker="w1", beat_at=now - datetime.timedelta(seconds=20), started_at=now)
    activity = ActivityFactory(owner=rep, customer__owner=rep, subject="Secret deal talk")
    Reminder.objects.create(activity=activity, remind_at=now - datetime.timedelta(minutes=5))

    response = client.get("/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["cache"] == "ok"
    assert body["worker"]["state"] == "ok"
    assert 20 <= body["worker"]["heartbeat_age_seconds"] <= 25
    assert body["worker"]["threshold_seconds"] == 60
    assert body["queue"]["reminders_waiting"] == 1
    assert body["queue"]["imports_waiting"] == 0
    assert 300 <= body["queue"]["oldest_waiting_seconds"] <= 305
    assert b"Secret" not in response.content and b"w1" not in response.content


@pytest.mark.django_db
def test_a_stale_heartbeat_answers_503(client, settings):
    settings.CRM_HEALTH_HEARTBEAT_SECONDS = 60
    now = timezone.now()
    Heartbeat.objects.create(worker="w1", beat_at=now - datetime.timedelta(seconds=61), started_at=now)

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["worker"]["state"] == "stale"
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_no_worker_ever_answers_503(client):
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["worker"] == {
        "state": "down",
        "heartbeat_age_seconds": None,
        "threshold_seconds": 120,
    }


@pytest.mark.django_db
def test_the_worker_beats_each_round(client):
    from django.core.management import call_command

    call_command("worker", "--once")
    assert client.get("/health/").status_code == 200


@pytest.mark.django_db
def test_a_cache_that_is_down_answers_503(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    now = timezone.now()
    Heartbeat.objects.create(worker="w1", beat_at=now, started_at=now)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["cache"] == "down"
