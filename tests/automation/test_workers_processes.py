"""Two worker processes and a kill -9: every reminder is sent, none twice (acceptance 2).

The workers are real ``manage.py worker`` processes on the test database, so the data must be
committed (transactional test) and the database must be PostgreSQL, whose SKIP LOCKED lets two
workers claim side by side.
"""

import datetime
import email
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from automation.models import Notification, Reminder
from automation.reminders import BATCH
from sales.models import Activity
from tests.factories import CustomerFactory, RepFactory

REMINDERS = 200

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL): the workers claim with SELECT ... FOR UPDATE SKIP LOCKED",
)


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(outbox: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "EMAIL_BACKEND": "tests.automation.slow_mail.SlowIdempotentFileBackend",
        "EMAIL_FILE_PATH": str(outbox),
        "CRM_REMINDER_LEASE_SECONDS": "2",
        "CRM_DIGEST_HOUR": "24",
        "CRM_WORKER_INTERVAL": "1",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def emails_in(outbox: Path) -> list:
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]


def wait_for(condition, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_two_workers_and_a_kill_send_each_reminder_exactly_once(tmp_path):
    rep = RepFactory(username="busy", email="busy@example.com")
    customer = CustomerFactory(owner=rep)
    due = timezone.now() - datetime.timedelta(minutes=1)
    Activity.objects.bulk_create(
        Activity(
            owner=rep, customer=customer, subject=f"Call {n}", due_at=due, remind_before=0, remind_at=due
        )
        for n in range(REMINDERS)
    )
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    workers = [start_worker(outbox), start_worker(outbox)]
    try:
        wait_for(lambda: len(list(outbox.glob("*.eml"))) >= 30)
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait()
        assert len(list(outbox.glob("*.eml"))) < REMINDERS, "the kill came too late to test anything"
        workers[0] = start_worker(outbox)
        wait_for(lambda: Reminder.objects.filter(state=Reminder.State.SENT).count() == REMINDERS)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)

    messages = emails_in(outbox)
    assert len(messages) == REMINDERS
    subjects = sorted(m["Subject"] for m in messages)
    assert subjects == sorted(f"Reminder: Call {n}" for n in range(REMINDERS))  # none twice, none missing
    assert {m["To"] for m in messages} == {"busy@example.com"}
    assert Notification.objects.filter(user=rep).count() == REMINDERS
    assert not list(outbox.glob(".*.part"))
    # Only what the killed worker had claimed and not recorded went out again (its file replaced).
    sends = (tmp_path / "sends.log").read_text().split()
    resent = {key for key in sends if sends.count(key) > 1}
    assert len(sends) - REMINDERS == len(resent) <= BATCH
    retried = {r.idempotency_key for r in Reminder.objects.filter(attempts__gt=1)}
    assert resent <= retried
