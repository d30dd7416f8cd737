from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from genetx.backups import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Replace every record in the database with those in a file written by "
        "`manage.py backup`. All or nothing: if the file does not load, nothing changes. "
        "Run `manage.py migrate` first so the schema matches the backup's."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A file written by manage.py backup.")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, path, interactive, database, **options):
        name = connections[database].settings_dict["NAME"]
        if interactive:
            answer = input(
                f"This replaces every record in database {name!s} with the backup {path}.\n"
                "Type 'yes' to continue: "
            )
            if answer != "yes":
                raise CommandError("Restore cancelled; nothing changed.")
        try:
            restore_backup(path, using=database)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        except BackupError as exc:
            raise CommandError(
                f"The backup {path} was not restored, so nothing was changed: {exc}"
            ) from exc
        except (
            DatabaseError,
            DeserializationError,
            CommandError,
            ValueError,
            OSError,
            EOFError,
        ) as exc:
            raise CommandError(
                f"The backup {path} could not be restored, so nothing was changed: {exc}"
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {path} into database {name!s}."))
