import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from genetx.api import opendata


class Command(BaseCommand):
    help = (
        "Write today's dump of every published record (JSON Lines, and CSV with a "
        "Frictionless datapackage.json) into GENETX_OPEN_DATA_DIR, for the Open data page; "
        "remove dumps older than the newest GENETX_OPEN_DATA_KEEP. Run it daily (cron) or "
        "after publishing (publish_scheduled does so when content changed); a second run the "
        "same day replaces that day's files."
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
            counts, removed = opendata.export(directory, date, keep)
        except OSError as exc:
            raise CommandError(f"Could not write the dump into {directory}: {exc}") from exc
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"Wrote the {date.isoformat()} dump to {directory}: {summary}.")
        if removed:
            self.stdout.write("Removed older files: " + ", ".join(removed))
