"""What every admin import shares: how big a file and its parts may be.

Every importer (BibTeX, RIS, CSV) checks an upload against the same limits before it
builds anything from it, so a small hostile file (a self-doubling BibTeX @string, a cell
of a million characters, a million one-line rows) is refused with a message instead of
growing a worker's memory. The limits come from settings (see the README's environment
table).
"""

from django.conf import settings

# Uploads bigger than this are refused before they are read: imports are edited by hand.
MAX_IMPORT_BYTES = 2 * 1024 * 1024


class ImportFileError(Exception):
    """The file as a whole cannot be imported; str(exc) tells the editor why."""


def check_entry_count(count: int, noun: str = "entries") -> None:
    """Refuse a file with more entries (rows, records) than IMPORT_MAX_ENTRIES."""
    limit = settings.IMPORT_MAX_ENTRIES
    if count > limit:
        raise ImportFileError(
            f"The file has {count:,} {noun}; at most {limit:,} can be imported at once. "
            "Split it into smaller files."
        )


def check_field_size(value: str, where: str) -> None:
    """Refuse a value longer than IMPORT_MAX_FIELD_CHARS; `where` names the entry and field."""
    limit = settings.IMPORT_MAX_FIELD_CHARS
    if len(value) > limit:
        raise ImportFileError(
            f"{where} is {len(value):,} characters long; a field may have at most "
            f"{limit:,}. Shorten it or leave it out."
        )
