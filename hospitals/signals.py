"""Keep Institution.programme_count true on every write path (genetx.counts says why
signals)."""

from .models import PROGRAMME_COUNT, Programme


def connect() -> None:
    PROGRAMME_COUNT.follow(Programme, "institution")
