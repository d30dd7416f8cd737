"""Read replicas: used only for anonymous public reads, and only while they are current.

Replicas here are real second connections: a port where nothing listens (a dead replica),
a database holding only an older content-change count (a replica behind the primary), and
a copy of the test database, taken before a write (SQLite: a file copy; PostgreSQL: a
REPEATABLE READ snapshot of the same database, which keeps seeing the rows as they were).
"""

import contextlib
import sqlite3

import pytest
from django.db import connection, connections, transaction
from django.db.utils import ConnectionDoesNotExist, load_backend
from django.test.utils import CaptureQueriesContext

from genetx import routers
from genetx.models import ContentChange, Status
from tests import faults
from tests.factories import make_therapy, make_user
from tests.parts import free_port

ALIAS = "replica1"
REQUEST_BOUND = 5.0


@pytest.fixture
def add_replica(settings):
    """add_replica(config) gives the site one replica, `replica1`, with that configuration.

    The connection is registered for this thread only and not in settings.DATABASES, so the
    test database setup never sees it.
    """

    def add(config: dict):
        configured = connections.configure_settings(
            {"default": dict(connections.settings["default"]), ALIAS: config}
        )[ALIAS]
        connections[ALIAS] = load_backend(configured["ENGINE"]).DatabaseWrapper(configured, ALIAS)
        settings.REPLICA_DATABASES = [ALIAS]
        settings.REPLICA_RETRY_SECONDS = 60
        return connections[ALIAS]

    routers._retry_after.clear()
    routers._seen.clear()
    yield add
    with contextlib.suppress(ConnectionDoesNotExist):
        connections[ALIAS].close()
        del connections[ALIAS]
    routers._retry_after.clear()
    routers._seen.clear()


def dead_replica() -> dict:
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "genetx",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "OPTIONS": {"connect_timeout": 2},
    }


def tried_replica() -> bool:
    """Whether a request has tried the dead replica (and so left it aside)."""
    return ALIAS in routers._retry_after


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    """The page cache is off in tests (tests/settings.py); these tests are about it too."""
    settings.PAGE_CACHE_ENABLED = True


def timed_get(client, url, **kwargs):
    return faults.timed_get(client, url, bound=REQUEST_BOUND, **kwargs)


@pytest.mark.django_db
def test_dead_replica_is_skipped_and_reported(client, add_replica):
    therapy = make_therapy(name="Served anyway")
    add_replica(dead_replica())
    assert b"Served anyway" in timed_get(client, therapy.get_absolute_url()).content
    assert tried_replica()
    for url in ("/", "/therapies/", "/search/?q=served"):
        assert timed_get(client, url).status_code == 200
    health = timed_get(client, "/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["replicas"] == {ALIAS: "unavailable"}


@pytest.mark.django_db
def test_signed_in_users_and_the_admin_never_read_a_replica(client, add_replica):
    therapy = make_therapy()
    add_replica(dead_replica())
    client.force_login(make_user(is_staff=True, is_superuser=True))
    assert timed_get(client, therapy.get_absolute_url()).status_code == 200
    assert timed_get(client, "/admin/therapies/therapy/").status_code == 200
    assert timed_get(client, f"/admin/therapies/therapy/{therapy.pk}/change/").status_code == 200
    assert not tried_replica()


@pytest.mark.django_db
def test_admin_login_and_lockout_checks_read_the_primary(client, add_replica, settings):
    settings.AXES_ENABLED = True
    add_replica(dead_replica())
    assert timed_get(client, "/admin/login/").status_code == 200
    client.post("/admin/login/", {"username": "nobody", "password": "wrong"})
    assert not tried_replica()


@pytest.mark.django_db
def test_a_browser_that_wrote_reads_the_primary_for_a_while(client, add_replica, settings):
    therapy = make_therapy()
    add_replica(dead_replica())
    settings.REPLICA_PIN_SECONDS = 7
    response = client.post("/search/")  # any write-method request pins, even a refused one
    assert response.cookies["genetx_primary"]["max-age"] == 7
    assert timed_get(client, therapy.get_absolute_url()).status_code == 200
    assert not tried_replica()
    del client.cookies["genetx_primary"]  # as when it expires
    assert timed_get(client, "/therapies/").status_code == 200
    assert tried_replica()


@pytest.mark.django_db
def test_reads_outside_a_request_use_the_primary(add_replica):
    make_therapy()
    add_replica(dead_replica())
    from therapies.models import Therapy

    assert Therapy.objects.published().count() == 1
    assert not tried_replica()


@contextlib.contextmanager
def counter_only_database(seq: int):
    """A database holding nothing but a content-change count: a replica that has not yet
    replayed the primary's latest changes (and, having no content tables, one that would
    fail any page the router wrongly sent to it)."""
    table = ContentChange._meta.db_table
    ddl = f"CREATE TABLE {table} (id bigint PRIMARY KEY, seq bigint NOT NULL, changed_at text)"
    if connection.vendor == "sqlite":
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = f"{folder}/replica.sqlite3"
            with contextlib.closing(sqlite3.connect(path)) as db:
                db.execute(ddl)
                db.execute(f"INSERT INTO {table} VALUES (1, ?, NULL)", [seq])
                db.commit()
            yield {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
        return
    import psycopg

    params = connection.get_connection_params()
    for key in ("cursor_factory", "context"):
        params.pop(key, None)
    # Creating a database may take longer than a page's statement timeout.
    params["options"] = "-c statement_timeout=0"
    name = f"{connection.settings_dict['NAME']}_lagging"
    with psycopg.connect(**{**params, "autocommit": True}) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(**{**params, "dbname": name, "autocommit": True}) as db:
            db.execute(ddl)
            db.execute(f"INSERT INTO {table} VALUES (1, %s, NULL)", [seq])
        yield {**connection.settings_dict, "NAME": name, "TEST": {}}
    finally:
        with contextlib.suppress(ConnectionDoesNotExist):
            connections[ALIAS].close()
        with psycopg.connect(**{**params, "autocommit": True}) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_replica_behind_the_primary_is_skipped_and_reported(client, add_replica):
    therapy = make_therapy(name="Fresh from the primary")
    ContentChange.objects.update_or_create(pk=1, defaults={"seq": 5})
    with counter_only_database(seq=4) as config:
        add_replica(config)
        response = timed_get(client, therapy.get_absolute_url())
        assert b"Fresh from the primary" in response.content
        health = timed_get(client, "/healthz")
        connections[ALIAS].close()
    assert health.status_code == 200
    assert health.json()["replicas"] == {ALIAS: "behind"}
    assert not tried_replica()  # behind, not down: tried again on the next request


@pytest.fixture
def lagging_copy(add_replica):
    """lag() gives `replica1` the committed rows as they are now; catch_up() brings it level.

    SQLite: a file copy of the database. PostgreSQL: a second connection to the same
    database inside a REPEATABLE READ transaction, whose snapshot stays as it was.
    """
    if connection.vendor == "sqlite":
        import tempfile

        folder = tempfile.TemporaryDirectory()
        path = f"{folder.name}/replica.sqlite3"

        def copy():
            with contextlib.suppress(ConnectionDoesNotExist):
                connections[ALIAS].close()
            with contextlib.closing(sqlite3.connect(path)) as target:
                connection.ensure_connection()
                connection.connection.backup(target)

        def lag():
            copy()
            return add_replica({"ENGINE": "django.db.backends.sqlite3", "NAME": path})

        yield lag, copy
        folder.cleanup()
        return

    snapshot = {}

    def lag():
        replica = add_replica({**connection.settings_dict, "TEST": {}})
        snapshot["atomic"] = transaction.atomic(using=ALIAS)
        snapshot["atomic"].__enter__()
        with replica.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(f"SELECT seq FROM {ContentChange._meta.db_table}")
        return replica

    def catch_up():
        snapshot.pop("atomic").__exit__(None, None, None)

    yield lag, catch_up
    if "atomic" in snapshot:
        catch_up()


@pytest.mark.django_db(transaction=True)
def test_current_replica_serves_anonymous_pages(client, lagging_copy):
    lag, _ = lagging_copy
    therapy = make_therapy(name="From the replica")
    replica = lag()
    with CaptureQueriesContext(replica) as on_replica:
        response = timed_get(client, therapy.get_absolute_url())
    assert b"From the replica" in response.content
    assert any("therapies_therapy" in query["sql"] for query in on_replica.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_lagging_replica_never_serves_an_unpublished_therapy(client, lagging_copy):
    """A therapy unpublished on the primary: the replica still has it published, so the
    router must not use it, and no page cached meanwhile may show it."""
    lag, catch_up = lagging_copy
    therapy = make_therapy(name="Withdrawn therapy")
    url = therapy.get_absolute_url()
    replica = lag()
    therapy.status = Status.DRAFT
    therapy.save()  # commits at once: the content-change count moves on the primary
    from therapies.models import Therapy

    # The replica really lags: it still sees the therapy published.
    assert Therapy.objects.using(ALIAS).get(pk=therapy.pk).status == Status.PUBLISHED
    with CaptureQueriesContext(replica) as on_replica:
        assert timed_get(client, url).status_code == 404
        assert timed_get(client, url).status_code == 404
    assert not any("therapies_therapy" in q["sql"] for q in on_replica.captured_queries)
    # Once the replica has the change, it serves readers again, and still says 404.
    catch_up()
    routers._seen.clear()
    with CaptureQueriesContext(connections[ALIAS]) as on_replica:
        assert timed_get(client, "/therapies/").status_code == 200
    assert any("therapies_therapy" in q["sql"] for q in on_replica.captured_queries)
    assert b"Withdrawn therapy" not in client.get("/therapies/").content
