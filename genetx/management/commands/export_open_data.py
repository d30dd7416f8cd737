import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from genetx.api import opendata
from genetx.cache import bump_content_version


class Command(BaseCommand):
    help = (
        "Write today's dump of every published record (JSON Lines, and CSV with a "
        "Frictionless datapackage.json) into GENETX_OPEN_DATA_DIR, for the Open data page; "
        "remove dumps older than the newest GENETX_OPEN_DATA_KEEP. Run it daily (cron) or "
        "after publishing; a second run the same day replaces that day's files."
    )

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, default=None, help="Override the folder.")
        parser.add_argument(
            "--date",
            type=datetime.date.fromisoformat,
            default=None,
            help="The dump's date (YYYY-MM-DD); default today (UTC).",
        )
        parser.add_argument("--keep", type=int, default=None)

    def handle(self, *args, directory=None, date=None, keep=None, **options):
        directory = directory or settings.OPEN_DATA_DIR
        date = date or datetime.datetime.now(datetime.UTC).date()
        keep = settings.OPEN_DATA_KEEP if keep is None else keep
        if keep < 1:
            raise CommandError("--keep must be at least 1.")
        try:
            # Inside a caller's transaction (tests), that transaction's snapshot applies.
            outermost = not connection.in_atomic_block
            with transaction.atomic():
                if connection.vendor == "postgresql" and outermost:
                    # One snapshot for every table, so a record published while the dump
                    # runs cannot appear in one file and be missing from another.
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                counts = opendata.write_dump(directory, date)
            removed = opendata.prune(directory, keep)
        except OSError as exc:
            raise CommandError(f"Could not write the dump into {directory}: {exc}") from exc
        # The Open data page lists the files: let cached copies of it go.
        bump_content_version()
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"Wrote the {date.isoformat()} dump to {directory}: {summary}.")
        if removed:
            self.stdout.write("Removed older files: " + ", ".join(removed))
