"""What every admin import shares: how big a file and its parts may be.

Every importer (BibTeX, RIS, CSV) checks an upload against the same limits before it
builds anything from it, so a small hostile file (a self-doubling BibTeX @string, a cell
of a million characters, a million one-line rows) is refused with a message instead of
growing a worker's memory. The limits come from settings (see the README's environment
table).
"""

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext
from import_export.tmp_storages import BaseStorage

logger = logging.getLogger(__name__)

# Uploads bigger than this are refused before they are read: imports are edited by hand.
MAX_IMPORT_BYTES = 2 * 1024 * 1024


class ImportFileError(Exception):
    """The file as a whole cannot be imported; str(exc) tells the editor why."""


def read_bounded(upload) -> bytes:
    """The bytes of an uploaded file, or ImportFileError if it is over MAX_IMPORT_BYTES.

    Reads at most one byte past the limit, whatever size the upload claims to be, and
    rewinds the file for whoever reads it next.
    """
    limit = gettext("the limit is %(limit)s MB. Split it into smaller files.") % {
        "limit": MAX_IMPORT_BYTES // 1024 // 1024
    }
    if upload.size > MAX_IMPORT_BYTES:
        raise ImportFileError(
            gettext("The file is %(size)s MB; %(limit)s")
            % {"size": number_format(upload.size / 1024 / 1024, 1), "limit": limit}
        )
    raw = upload.read(MAX_IMPORT_BYTES + 1)
    upload.seek(0)
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportFileError(
            gettext("The file is larger than it declared; %(limit)s") % {"limit": limit}
        )
    return raw


def check_entry_count(count: int, noun: str = "") -> None:
    """Refuse a file with more entries (rows, records) than IMPORT_MAX_ENTRIES; `noun`
    names them in the active language ("entries" when empty)."""
    limit = settings.IMPORT_MAX_ENTRIES
    if count > limit:
        raise ImportFileError(
            gettext(
                "The file has %(count)s %(noun)s; at most %(limit)s can be imported at once. "
                "Split it into smaller files."
            )
            % {
                "count": number_format(count, force_grouping=True),
                "noun": noun or gettext("entries"),
                "limit": number_format(limit, force_grouping=True),
            }
        )


def check_field_size(value: str, where: str) -> None:
    """Refuse a value longer than IMPORT_MAX_FIELD_CHARS; `where` names the entry and field."""
    limit = settings.IMPORT_MAX_FIELD_CHARS
    if len(value) > limit:
        raise ImportFileError(
            gettext(
                "%(where)s is %(length)s characters long; a field may have at most "
                "%(limit)s. Shorten it or leave it out."
            )
            % {
                "where": where,
                "length": number_format(len(value), force_grouping=True),
                "limit": number_format(limit, force_grouping=True),
            }
        )


# Files between preview and confirmation ---------------------------------------------------
# Kept in the database (ImportJob), never in a local folder: with several app servers the
# confirmation may reach another server than the preview, and a background worker on yet
# another machine imports large files.

# A preview nobody confirmed is deleted after this long.
ABANDONED_AFTER = datetime.timedelta(days=1)


def keep_for_confirmation(
    *, target: str, file_name: str, file_format: str, text: str, user=None, total: int = 0
):
    """Store an uploaded file until it is confirmed; returns its ImportJob."""
    from genetx.models import ImportJob, ImportState

    ImportJob.objects.filter(
        state=ImportState.PREVIEW, created_at__lt=timezone.now() - ABANDONED_AFTER
    ).delete()
    return ImportJob.objects.create(
        target=target,
        file_name=file_name[:255],
        file_format=file_format,
        content=text,
        user=user,
        total=total,
    )


class DatabaseImportStorage(BaseStorage):
    """django-import-export's store for a CSV between its dry run and its confirmation,
    in the database (IMPORT_EXPORT_TMP_STORAGE_CLASS), so any app server can confirm it."""

    def save(self, data):
        text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
        job = keep_for_confirmation(
            target="csv", file_name=self.name or "upload.csv", file_format="csv", text=text
        )
        self.name = str(job.token)

    def _job(self):
        from genetx.models import ImportJob, ImportState

        try:
            return ImportJob.objects.get(token=self.name, state=ImportState.PREVIEW)
        except (ImportJob.DoesNotExist, ValidationError) as exc:
            raise ImportFileError(
                gettext(
                    "The previewed file is no longer waiting for confirmation; upload it again."
                )
            ) from exc

    def read(self):
        text = self._job().content
        return text.encode("utf-8") if "b" in (self.read_mode or "") else text

    def remove(self):
        from genetx.models import ImportJob

        ImportJob.objects.filter(token=self.name).delete()


# Running a confirmed import -------------------------------------------------------------


@dataclass
class Progress:
    """What one chunk of an import did: counts and refused rows (dicts for the report)."""

    processed: int = 0
    created: int = 0
    updated: int = 0
    refused: list[dict] = field(default_factory=list)


def run_job(job_id: int, work: Callable[[Any], Iterable[Progress]]) -> None:
    """Run an import job: work(job) imports it chunk by chunk, yielding each chunk's Progress.

    Each chunk is saved (committed) before its progress is recorded, so the counts shown
    are always what the database holds. The job is claimed with a conditional update, so
    two workers never run it twice. An error stops the job as failed, naming what had
    already been saved; it never leaves the job looking as if it were still running.
    """
    from genetx.models import ImportJob, ImportState

    claimed = ImportJob.objects.filter(pk=job_id, state=ImportState.QUEUED).update(
        state=ImportState.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    job = ImportJob.objects.get(pk=job_id)
    try:
        for progress in work(job):
            job.processed = min(job.processed + progress.processed, job.total)
            job.created_count += progress.created
            job.updated_count += progress.updated
            job.refused_count += len({problem["row"] for problem in progress.refused})
            job.report = [*job.report, *progress.refused]
            job.save(
                update_fields=[
                    "processed",
                    "created_count",
                    "updated_count",
                    "refused_count",
                    "report",
                ]
            )
    except Exception as exc:
        logger.exception("Import job %s failed", job_id)
        job.state = ImportState.FAILED
        job.message = (
            f"Stopped after {job.processed} of {job.total} entries: {exc}. Saved before "
            f"that: {job.created_count} created, {job.updated_count} updated."
        )
    else:
        job.state = ImportState.DONE
        job.message = (
            f"{job.created_count} created, {job.updated_count} updated, "
            f"{job.refused_count} refused. {job.message}"
        ).strip()
    job.finished_at = timezone.now()
    job.content = ""  # the file is imported; keeping it would only hold its size
    job.save(update_fields=["state", "message", "finished_at", "content"])


def chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Reporting problems -----------------------------------------------------------------------


def describe_problem(problem: dict) -> str:
    """A report row as one line: "row 3: kind 'medicine': Select a valid choice."."""
    if problem.get("field"):
        return gettext("row %(row)s: %(field)s %(value)r: %(message)s") % {
            "row": problem["row"],
            "field": problem["field"],
            "value": problem["value"],
            "message": problem["message"],
        }
    return gettext("row %(row)s: %(message)s") % {
        "row": problem["row"],
        "message": problem["message"],
    }


def csv_problems(result, headers: list[str], first_row: int = 1) -> list[dict]:
    """Each failed row of a django-import-export result, with its field and value.

    `first_row` is the file's number of the result's first row (when a file is checked in
    parts); rows count from the first one after the header.
    """
    offset = first_row - 1
    problems = []
    for number, errors in result.row_errors():
        for error in errors:
            problems.append(
                {"row": number + offset, "field": "", "value": "", "message": str(error.error)}
            )
    for row in result.invalid_rows:
        for name, messages in row.field_specific_errors.items():
            value = ""
            if name in headers and headers.index(name) < len(row.values):
                value = str(row.values[headers.index(name)])
            problems.append(
                {
                    "row": row.number + offset,
                    "field": name,
                    "value": value[:200],
                    "message": " ".join(str(m) for m in messages),
                }
            )
        for message in row.non_field_specific_errors:
            problems.append(
                {"row": row.number + offset, "field": "", "value": "", "message": str(message)}
            )
    for error in result.base_errors:
        problems.append({"row": 0, "field": "", "value": "", "message": str(error.error)})
    return problems
