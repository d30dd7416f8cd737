import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from genetx.backups import EXCLUDED, write_backup


class Command(BaseCommand):
    help = (
        "Write the whole database to a file (JSON; gzip when the name ends in .gz) that "
        "`manage.py restore` reads back. Leaves out: " + ", ".join(EXCLUDED) + "."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="Where to write; default genetx-backup-<UTC date and time>.json.gz here.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, path=None, database, **options):
        if path is None:
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
            path = f"genetx-backup-{stamp}.json.gz"
        try:
            write_backup(path, using=database)
        except OSError as exc:
            raise CommandError(f"Could not write the backup to {path}: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path}"))
