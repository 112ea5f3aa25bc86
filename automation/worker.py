"""One round of the worker: heartbeat, due reminders, today's digests and snapshot, background jobs."""

import datetime
import logging
import os
import socket
import uuid

from automation import digests, reminders, snapshots
from automation.models import Heartbeat

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def beat(name: str, now: datetime.datetime, started: datetime.datetime) -> None:
    Heartbeat.objects.update_or_create(worker=name, defaults={"beat_at": now, "started_at": started})


def run_round(name: str, now: datetime.datetime, started: datetime.datetime) -> dict:
    """Everything that is due at ``now``; each part is safe to run in several workers at once."""
    beat(name, now, started)
    done = {"reminders": reminders.send_due_reminders(now, name)}
    done["snapshot"] = snapshots.daily_snapshot(now)
    done["digests"] = digests.send_digests(now)
    beat(name, now, started)
    return done
