"""Every project migration can be undone: each app migrates to zero and back."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import make_claim, make_decision, make_programme

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT_APPS = ["genetx", "therapies", "hospitals", "sources"]


def project_tables() -> set[str]:
    return {
        name
        for name in connection.introspection.table_names()
        if name.split("_", 1)[0] in PROJECT_APPS
    }


def applied(app: str) -> list[str]:
    executor = MigrationExecutor(connection)
    return sorted(name for label, name in executor.loader.applied_migrations if label == app)


def test_project_apps_migrate_to_zero_and_back():
    tables = project_tables()
    migrations = {app: applied(app) for app in PROJECT_APPS}
    assert all(migrations.values())

    # Unapplying an app also unapplies the apps that depend on it, so after the first of
    # these the others may already be at zero; each call is still checked.
    for app in PROJECT_APPS:
        call_command("migrate", app, "zero", verbosity=0)
        assert applied(app) == []
    assert project_tables() == set()

    call_command("migrate", verbosity=0)
    assert {app: applied(app) for app in PROJECT_APPS} == migrations
    assert project_tables() == tables
    # The re-created schema holds data again, constraints and relations included.
    make_claim(therapy=make_decision().therapy, programme=make_programme())


def test_every_project_migration_is_reversible():
    executor = MigrationExecutor(connection)
    for app in PROJECT_APPS:
        for key in executor.loader.graph.leaf_nodes(app):
            for node in executor.loader.graph.forwards_plan(key):
                if node[0] in PROJECT_APPS:
                    migration = executor.loader.get_migration(*node)
                    irreversible = [op for op in migration.operations if not op.reversible]
                    assert irreversible == [], f"{node} cannot be undone"
