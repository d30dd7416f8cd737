"""Query counts of many URLs on one world, measured before and after the world grows.

Each budget test used to build its own world and grow it, the same two states for every
URL. measure_growth() builds the world once per module and measures every URL on both
states, each request starting with an empty cache as a test of its own would; the world is
rolled back before any test runs, and each test checks its own URL's two counts.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import translation


@dataclass(frozen=True)
class Measured:
    status: int
    queries: tuple[str, ...]
    body: bytes

    def __str__(self):
        listed = "\n".join(f"{n}. {sql}" for n, sql in enumerate(self.queries, 1))
        return f"status {self.status}, {len(self.queries)} queries:\n{listed}"


def fetch(client, url) -> Measured:
    from django.core.cache import cache

    from genetx.cache import forget_local_state

    cache.clear()
    forget_local_state()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        # Exports stream, and run their queries as they are read.
        body = b"".join(response.streaming_content) if response.streaming else response.content
    return Measured(response.status_code, tuple(q["sql"] for q in captured), body)


def measure_growth(django_db_blocker, build, grow, urls) -> dict:
    """{key: (measured on the small world, measured after growth)} for urls, a dict of
    key: url_of(world). build() makes the world; grow(world, "small"|"large") grows it."""
    client = Client()
    # The page cache would answer without running the view's queries.
    with (
        django_db_blocker.unblock(),
        override_settings(PAGE_CACHE_ENABLED=False),
        translation.override(settings.LANGUAGE_CODE),
        transaction.atomic(),
    ):
        world = build()
        grow(world, "small")
        small = {key: fetch(client, url_of(world)) for key, url_of in urls.items()}
        grow(world, "large")
        large = {key: fetch(client, url_of(world)) for key, url_of in urls.items()}
        transaction.set_rollback(True)
    return {key: (small[key], large[key]) for key in urls}
