"""The audit trail: what history rows say about where a change came from.

Every content model keeps its history with django-simple-history. These helpers label
rows written by something other than a person at a form (an import, the demo loader, the
scheduled command), so the audit log can say "Imported from sources.bib by ana".
"""

from contextlib import contextmanager

from django.conf import settings

# simple-history stores the reason in a 100-character column.
REASON_LENGTH = 100

DEMO_LOADED = "Loaded from the demo fixtures"
DEMO_RESET = "Restored from the demo fixtures (load_demo --reset)"


def reason(text: str) -> str:
    """A change reason cut to fit its column."""
    text = " ".join(text.split())
    return text if len(text) <= REASON_LENGTH else text[: REASON_LENGTH - 1] + "…"


def import_reason(file_name: str, user) -> str:
    """The label every row written by one import run carries."""
    who = getattr(user, "get_username", lambda: "")() or "an unknown user"
    return reason(f"Imported from {file_name or 'an uploaded file'} by {who}")


def label_change(obj, *, user=None, text: str = "") -> None:
    """Put the acting user and a reason on the history row obj's next save writes."""
    if user is not None:
        obj._history_user = user
    if text:
        obj._change_reason = reason(text)


class LabelledImportMixin:
    """A django-import-export resource whose rows are labelled in history with the file
    and the user of the import run."""

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        user = kwargs.get("user")
        label_change(instance, user=user, text=import_reason(kwargs.get("file_name", ""), user))


@contextmanager
def history_paused():
    """Write no history rows inside this block (a restore loads the history itself).

    simple-history reads SIMPLE_HISTORY_ENABLED on every save; it is process-wide, so use
    this only where nothing else writes meanwhile (the restore command).
    """
    previous = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
    settings.SIMPLE_HISTORY_ENABLED = False
    try:
        yield
    finally:
        settings.SIMPLE_HISTORY_ENABLED = previous
