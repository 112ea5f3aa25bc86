import time

from django.core.management.base import BaseCommand, CommandParser

from sales import rollups


class Command(BaseCommand):
    help = (
        "Recompute the dashboard's rollups from deals, stage changes, sales records and activities: "
        "after rows were changed behind the application's back (SQL, a restore, a repair)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stays", action="store_true", help="recompute every stage change's time in stage as well"
        )
        parser.add_argument("--database", default="default", help="the database to rebuild")

    def handle(self, *args, stays: bool = False, database: str = "default", **options) -> None:
        started = time.perf_counter()
        rows = rollups.rebuild(database, stays=stays)
        self.stdout.write(f"{rows} rollup rows written in {time.perf_counter() - started:.1f} s.")
