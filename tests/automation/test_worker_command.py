"""The worker as a real process: it beats every round and stops cleanly on SIGTERM (scripts/run, systemd)."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from automation.models import Heartbeat


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_the_worker_beats_and_stops_on_sigterm():
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": database_url(), "CRM_DIGEST_HOUR": "24"}
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "1"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        beats = set()
        while len(beats) < 2:  # two rounds, a second apart
            assert time.monotonic() < deadline, "the worker did not beat twice"
            beats |= set(Heartbeat.objects.values_list("beat_at", flat=True))
            time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err
    assert "Worker" in out and "started" in out
    assert Heartbeat.objects.count() == 1


@pytest.mark.django_db
def test_a_bad_interval_is_refused_with_a_message():
    with pytest.raises(CommandError, match="at least 1 second"):
        call_command("worker", "--interval", "0")
