import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from automation.models import PipelineSnapshot
from automation.snapshots import rows_from_ledger, save_snapshot, take_snapshot


class Command(BaseCommand):
    help = (
        "Saves today's pipeline snapshot from the deals as they stand, and with --days N rebuilds the N "
        "days before it from the stage-change ledger. Running it again replaces those days' snapshots."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=0, help="Past days to rebuild (e.g. 365).")
        parser.add_argument("--today", help="The day to count as today (YYYY-MM-DD).")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any snapshot exists (for scripts/run)."
        )

    def handle(self, *args, days: int, today: str | None, if_empty: bool, **options):
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        if if_empty and PipelineSnapshot.objects.exists():
            self.stdout.write("Pipeline snapshots exist already; nothing to do.")
            return
        try:
            day = datetime.date.fromisoformat(today) if today else timezone.localdate()
        except ValueError as error:
            raise CommandError(f"--today {today!r} is not a date (YYYY-MM-DD).") from error
        rows = take_snapshot(day)
        for back in range(1, days + 1):
            past = day - datetime.timedelta(days=back)
            rows += save_snapshot(past, rows_from_ledger(past))
        self.stdout.write(f"Saved {days + 1} days of pipeline snapshots ({rows} rows).")
