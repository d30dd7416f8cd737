"""Small text helpers shared by the pages, the feed and the search."""


def shorten(text: str, limit: int) -> str:
    """Whitespace collapsed, cut at a word boundary to at most about `limit` characters."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"
