import datetime
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from automation.worker import run_round, worker_name


def parse_now(text: str) -> datetime.datetime:
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError as error:
        raise CommandError(
            f"--now {text!r} is not an ISO date and time, e.g. 2026-12-07T09:30:00+00:00"
        ) from error
    return value if timezone.is_aware(value) else timezone.make_aware(value)


class Command(BaseCommand):
    help = (
        "Runs the background worker: sends due reminders and the daily digests, takes the daily pipeline "
        "snapshot and runs background imports. Several may run at once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Do what is due now, then exit (for cron and tests)."
        )
        parser.add_argument("--now", help="Act as if it were this ISO date and time (for tests).")
        parser.add_argument(
            "--interval", type=int, default=None, help="Seconds between rounds (default CRM_WORKER_INTERVAL)."
        )

    def handle(self, *args, once: bool, now: str | None, interval: int | None, **options):
        fixed = parse_now(now) if now else None
        if interval is not None and interval < 1:
            raise CommandError("--interval must be at least 1 second.")
        interval = interval or settings.CRM_WORKER_INTERVAL
        name = worker_name()
        started = timezone.now()
        stopping = []
        # SIGTERM (systemd, docker, scripts/run) ends the worker after its current round.
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        if not once:
            self.stdout.write(f"Worker {name} started; a round every {interval} s (Ctrl+C stops it).")
        try:
            self._loop(name, started, fixed, once, interval, stopping)
        except KeyboardInterrupt:
            # What the round had not recorded is sent again by the next worker (docs/automation.md).
            self.stdout.write("Worker stopped.")

    def _loop(self, name, started, fixed, once: bool, interval: int, stopping: list) -> None:
        while True:
            done = run_round(name, fixed or timezone.now(), started)
            if once:
                self.stdout.write(
                    f"Sent {done['reminders']} reminders and {done['digests']} digests, "
                    f"ran {done['imports']} imports and {done['exports']} exports"
                    + ("; took the pipeline snapshot." if done["snapshot"] else ".")
                )
                return
            for _ in range(interval * 10):
                if stopping:
                    return
                time.sleep(0.1)
            if stopping:
                return
            # A connection that died with a database restart is replaced before the next round.
            close_old_connections()
