"""Small text helpers and limits shared by the pages, the feed and the search."""

import re

# The longest query a search box or list filter uses; longer ones are cut, not refused.
MAX_QUERY_LENGTH = 200


_INTEGER = re.compile(r"-?[0-9]+")


def is_integer(text: str) -> bool:
    """Whether int() reads `text` as a whole number written in ASCII digits, optionally
    negative. str.isdigit() also accepts "²", which int() refuses, and int() would read
    Arabic-Indic digits that no reader of these pages types as a year or an id."""
    return _INTEGER.fullmatch(text) is not None


def shorten(text: str, limit: int) -> str:
    """Whitespace collapsed, cut at a word boundary to at most about `limit` characters."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"
