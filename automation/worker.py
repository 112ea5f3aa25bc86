"""One round of the worker: heartbeat, due reminders, today's digests and snapshot, background jobs,
and the "Suggested next" rebuild."""

import datetime
import logging
import os
import socket
import time
import uuid

from django.conf import settings
from django.core.mail import get_connection
from django.urls import reverse
from django.utils import timezone

from automation import digests, recommendations, reminders, snapshots
from automation.mail import build_email
from automation.models import Heartbeat
from automation.profiles import language_of
from dataio import jobs

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def beat(name: str, now: datetime.datetime, started: datetime.datetime) -> None:
    Heartbeat.objects.update_or_create(worker=name, defaults={"beat_at": now, "started_at": started})
    # Workers that stopped a day ago are gone for good (each start has a new name).
    Heartbeat.objects.filter(beat_at__lt=now - datetime.timedelta(days=1)).delete()


def run_round(name: str, now: datetime.datetime, started: datetime.datetime) -> dict:
    """Everything that is due at ``now``; each part is safe to run in several workers at once."""
    beat(name, now, started)
    done = {"reminders": reminders.send_due_reminders(now, name)}
    done["snapshot"] = snapshots.daily_snapshot(now)
    done["digests"] = digests.send_digests(now) + digests.send_weekly_digests(now)
    beat(name, now, started)
    last_beat = [time.monotonic()]

    def alive() -> None:
        if time.monotonic() - last_beat[0] >= 5:
            beat(name, timezone.now(), started)
            last_beat[0] = time.monotonic()

    finished = jobs.run_due_imports(now, name, language_of, alive)
    for job in finished:
        if not job.check_only:  # a check's result is on the preview page its user is watching
            tell_importer(job)
    done["imports"] = len(finished)
    done["exports"] = jobs.run_due_exports(now, name, language_of, alive)
    # After the imports, so that the suggestions learn from what was just imported.
    done["recommendations"] = recommendations.rebuild_when_due(now)
    if finished or done["exports"]:
        beat(name, now, started)
    return done


def tell_importer(job) -> None:
    """An email to whoever started a background import, saying how it ended."""
    if not job.user.email:
        return
    email = build_email(
        key=f"import-{job.pk}",
        to=job.user.email,
        language=language_of(job.user),
        template="import_done",
        context={"job": job, "url": settings.CRM_SITE_URL + reverse("dataio:import_job", args=[job.pk])},
    )
    try:
        get_connection().send_messages([email])
    except Exception:
        log.exception("The email about import %s could not be sent", job.pk)
