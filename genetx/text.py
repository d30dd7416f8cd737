"""Small text helpers and limits shared by the pages, the feed and the search."""

# The longest query a search box or list filter uses; longer ones are cut, not refused.
MAX_QUERY_LENGTH = 200


def shorten(text: str, limit: int) -> str:
    """Whitespace collapsed, cut at a word boundary to at most about `limit` characters."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"
