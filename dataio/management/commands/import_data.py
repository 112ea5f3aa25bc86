"""Import a large CSV or XLSX file from the command line: all rows or none, with row-level errors."""

import json
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dataio.imports import KINDS, Mapping, MappingError, command_limits, run_import


class Command(BaseCommand):
    help = (
        "Import customers, deals, stage history, sales, activities, plans, products or people from CSV/XLSX "
        "with a JSON mapping."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--mapping", type=Path, required=True, help="JSON mapping (see docs/importing.md)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument(
            "--user",
            help="username recorded as the importer and used as owner where the file names none "
            "(without it the import acts as an admin and every row needs an owner)",
        )

    def handle(self, *args, kind: str, file: Path, mapping: Path, dry_run: bool, user: str | None, **opts):
        try:
            spec = Mapping.from_dict(json.loads(mapping.read_text(encoding="utf-8")), kind=kind)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the mapping {mapping}: {exc}") from exc
        except MappingError as exc:
            raise CommandError(f"The mapping {mapping} is wrong: {exc}") from exc
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"No user {user!r}.")
        limits = command_limits()
        try:
            # Refused before it is read into memory at all.
            if file.stat().st_size > limits.file_bytes:
                raise CommandError(f"{file} is larger than {limits.file_bytes // 2**20} MB; split it.")
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        started = time.perf_counter()
        report = run_import(data, file.name, spec, user=by, dry_run=dry_run, limits=limits)
        elapsed = time.perf_counter() - started
        if report.absent_optional:
            self.stdout.write(
                f"{file.name}: optional columns not in the file: {', '.join(report.absent_optional)}"
            )
        for problem in report.problems:
            self.stderr.write(f"{file.name}: {problem}")
        for warning in report.warnings:
            self.stdout.write(f"{file.name}: warning: {warning}")
        self.stdout.write(f"{report.summary()} ({elapsed:.1f} s)")
        if report.problems:
            raise CommandError(f"{len(report.bad_rows) or 1} bad row(s); nothing was imported.")
