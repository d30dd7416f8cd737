"""Whole-database backup and restore, as a Django fixture file.

A backup holds every row of every model, primary keys included, so history rows stay
attached to the records they describe and a restore gives back the same database. It
leaves out only transient state: sessions (restoring them would log people back in),
django-axes' login attempts and lockouts, and the content-change counter the replica router
reads (genetx.ContentChange: it must only grow, and the restore itself counts as a change).

Primary keys are kept rather than replaced by natural keys: history rows refer to records
by id, including records deleted since, and natural keys would renumber the first and fail
on the second. Content types and permissions are therefore backed up too, and a restore
empties the database without re-creating them, so every id in the file still means what
it meant.
"""

import datetime
import gzip
import json as jsonlib
import os
import tempfile
import zlib
from pathlib import Path

from django.core import serializers
from django.core.management import call_command
from django.core.serializers import json
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from genetx.history import history_paused

EXCLUDED = ["sessions", "axes", "genetx.ContentChange"]
# Every backup holds these rows (dumpdata writes every model); a file without them is not a
# whole-database backup, and restoring it would empty the database.
REQUIRED_MODELS = {"contenttypes.contenttype", "auth.permission"}


class BackupError(ValueError):
    """The file is not a complete, readable backup; str(exc) says what is wrong."""


# The serialisation format backups are written in (this module registers it below).
FORMAT = "backup-json"


class PreciseJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, keeping times to the microsecond.

    DjangoJSONEncoder (what dumpdata uses) cuts times to milliseconds, so a restored
    database would not quite be the one backed up. The file is still plain JSON that
    loaddata reads with its ordinary deserialiser.
    """

    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time):
            return o.isoformat()
        return super().default(o)


class Serializer(json.Serializer):
    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = PreciseJSONEncoder


Deserializer = json.Deserializer
serializers.register_serializer(FORMAT, __name__)


def write_backup(path: Path, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Write the whole database to path (JSON; gzip-compressed when it ends in .gz).

    The file is written beside the target and renamed into place, so a failed backup
    never leaves a half-written file under the final name. It is readable by its owner
    only: it holds password hashes.
    """
    path = Path(path)
    suffix = "".join(path.suffixes) or ".json"
    fd, temporary = tempfile.mkstemp(prefix=".backup-", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        with transaction.atomic(using=using):
            connection = connections[using]
            if connection.vendor == "postgresql":
                # One snapshot for every table, so a backup taken while editors work still
                # has each claim's sources and each programme's institution.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            call_command(
                "dumpdata",
                exclude=EXCLUDED,
                format=FORMAT,
                output=temporary,
                database=using,
                use_base_manager=True,
                verbosity=0,
            )
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def restore_backup(path: Path, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Replace every row in the database with the contents of a backup file.

    All or nothing: the emptying and the loading run in one transaction, so a file that
    fails to load (damaged, or from another schema) leaves the database as it was.
    The database must be migrated to the same version the backup was taken from.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No backup file at {path}.")
    check_backup(path)
    with transaction.atomic(using=using):
        # inhibit_post_migrate: content types and permissions come from the backup, with
        # their original ids, rather than being re-created with new ones.
        call_command(
            "flush", interactive=False, inhibit_post_migrate=True, database=using, verbosity=0
        )
        # The backup holds the history rows themselves: loading a therapy's conditions
        # must not add new ones (simple-history records many-to-many changes even for
        # fixture loads).
        with history_paused():
            call_command("loaddata", str(path), database=using, verbosity=0)


def check_backup(path: Path) -> int:
    """The number of rows in a backup file, or BackupError saying why it cannot be restored.

    Read in full before anything is deleted: a truncated or damaged file, or a JSON file
    that is not a whole backup (an empty list, one app's dumpdata), is refused up front
    with a message instead of a traceback, and the database is never emptied for it.
    """
    path = Path(path)
    raw = path.read_bytes()
    if not raw:
        raise BackupError("the file is empty; the backup was not written or not copied whole.")
    try:
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise BackupError(
            f"the compressed file is damaged or was cut short ({exc}); "
            "use an intact copy of the backup."
        ) from exc
    try:
        rows = jsonlib.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BackupError(
            f"the file is not complete JSON ({exc}); it may have been cut short while "
            "copying. Use an intact copy of the backup."
        ) from exc
    if not isinstance(rows, list) or not all(
        isinstance(row, dict) and "model" in row for row in rows
    ):
        raise BackupError("the file is JSON but not a backup written by manage.py backup.")
    missing = REQUIRED_MODELS - {row["model"] for row in rows}
    if missing:
        raise BackupError(
            f"the file holds {len(rows)} rows but none of {', '.join(sorted(missing))}, "
            "so it is not a whole-database backup written by manage.py backup."
        )
    return len(rows)
