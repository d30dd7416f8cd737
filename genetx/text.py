"""Small text helpers and limits shared by the pages, the feed and the search."""

import base64
import binascii
import json
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


def to_token(value) -> str:
    """A JSON value as an opaque, URL-safe token: the cursor a paged list's links carry."""
    raw = json.dumps(value, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def from_token(token: str):
    """The JSON value a token holds; ValueError for anything to_token() did not write."""
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise ValueError("not a token") from error
