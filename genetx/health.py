"""What /healthz reports: each dependency checked at once, the whole answer within a deadline.

Each check runs in its own thread on its own fresh connection, so a hung dependency cannot
hold the answer past HEALTH_TIMEOUT (a check still running then is reported as "timeout",
and its thread ends by itself when its own connect or statement timeout fires). A check
never reuses the request's connections, so a broken one cannot poison them.
"""

from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connections

OK = "ok"
UNAVAILABLE = "unavailable"
TIMEOUT = "timeout"


def fresh_connection(alias: str):
    """A recipe for a new connection like `alias`'s, to open in a checking thread (a Django
    connection may only be used in the thread that created it)."""
    current = connections[alias]
    backend, settings_dict = type(current), current.settings_dict
    return lambda: backend(settings_dict, alias)


def database_answers(open_connection) -> str:
    """OK when a new connection answers a trivial query."""
    connection = open_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return OK
    except DatabaseError:
        return UNAVAILABLE
    finally:
        connection.close()


def replica_state(open_primary, open_replica) -> str:
    """OK when the replica answers and holds every content change the primary has; "behind"
    when it answers without the latest change (readers are then served by the primary)."""
    from .routers import content_change_seen

    seen = {}
    for name, open_connection in (("primary", open_primary), ("replica", open_replica)):
        connection = open_connection()
        try:
            seen[name] = content_change_seen(connection)
        except DatabaseError:
            return UNAVAILABLE
        finally:
            connection.close()
    return OK if seen["replica"] >= seen["primary"] else "behind"


def cache_state() -> str:
    cache = caches["default"]
    ping = getattr(cache, "ping", None)
    if ping is None:
        # Local memory: part of this process, up whenever the process answers.
        return OK
    return OK if ping() else UNAVAILABLE


def report() -> tuple[bool, dict]:
    """(serving, body): serving is False only when the primary database fails, the one
    dependency without which no page can be served; the cache and replicas degrade."""
    primary = fresh_connection("default")
    checks = {"database": lambda: database_answers(primary), "cache": cache_state}
    for alias in settings.REPLICA_DATABASES:
        replica = fresh_connection(alias)
        checks[f"replica:{alias}"] = lambda replica=replica: replica_state(primary, replica)
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="healthz")
    futures = {name: pool.submit(check) for name, check in checks.items()}
    wait(futures.values(), timeout=settings.HEALTH_TIMEOUT)
    # Do not wait for a hung check: its thread finishes on its own timeouts.
    pool.shutdown(wait=False, cancel_futures=True)
    results = {}
    for name, future in futures.items():
        if not future.done():
            results[name] = TIMEOUT
        elif future.exception() is not None:
            results[name] = UNAVAILABLE
        else:
            results[name] = future.result()
    replicas = {name.split(":", 1)[1]: results.pop(name) for name in list(results) if ":" in name}
    serving = results["database"] == OK
    degraded = results["cache"] != OK or any(state != OK for state in replicas.values())
    body = {
        "status": "unavailable" if not serving else "degraded" if degraded else "ok",
        "database": results["database"],
        "cache": results["cache"],
        "replicas": replicas,
    }
    return serving, body
