"""Every project migration can be undone: each app migrates to zero and back; label-only
migrations change the state as plain AlterField operations would, and run no SQL."""

import pytest
from django.core.management import call_command
from django.db import connection, migrations, models
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from genetx.migration_operations import AlterFieldLabels
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

    # Every app to zero in one plan, as `migrate <app> zero` would take each: undoing
    # migrations needs the state before each of them, which Django rebuilds by replaying
    # the history once per plan (about 8 s here), not once per app.
    MigrationExecutor(connection).migrate([(app, None) for app in PROJECT_APPS])
    for app in PROJECT_APPS:
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


def label_migrations(loader):
    return [
        (key, migration)
        for key, migration in loader.disk_migrations.items()
        if any(isinstance(op, AlterFieldLabels) for op in migration.operations)
    ]


def parents(loader, key):
    return [parent.key for parent in loader.graph.node_map[key].parents]


def rendered_fields(state):
    """Every field of every rendered model, with what AlterFieldLabels changes, sorted (hidden
    reverse relations all share the name "+")."""
    return sorted(
        (
            model._meta.label,
            field.name,
            # A reverse relation shows the label of the foreign key it mirrors, so one left
            # pointing at a stale copy of that key would show up here.
            str(getattr(field, "verbose_name", None) or field.remote_field.verbose_name),
            str(getattr(field, "help_text", "")),
            repr(getattr(field, "choices", None)),
            field.related_model._meta.label if field.related_model else "",
        )
        for model in state.apps.get_models()
        for field in model._meta.get_fields(include_hidden=True)
    )


def test_label_migrations_give_the_state_of_plain_alter_fields():
    """AlterFieldLabels re-renders once instead of once per field; the state it leaves, and
    the models a later data migration would read from it, are those of the plain
    operations rendered afresh."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    found = label_migrations(loader)
    assert {key[0] for key, _ in found} == set(PROJECT_APPS)
    for key, migration in found:
        batched = loader.project_state(parents(loader, key))
        batched.apps  # rendered before the migration, as the migration executor has it  # noqa: B018
        before = batched.clone()
        # Not rendered until all its fields have changed: a fresh rendering is the reference.
        plain = loader.project_state(parents(loader, key))
        for op in migration.operations:
            for alter in op.state_operations if isinstance(op, AlterFieldLabels) else [op]:
                alter.state_forwards(key[0], plain)
            op.state_forwards(key[0], batched)
        assert batched.models == plain.models, key
        assert rendered_fields(batched) == rendered_fields(plain), key
        # The fields did change, so the comparisons above compared something.
        assert batched.models != before.models, key


def test_label_migrations_run_no_sql():
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    for key, migration in label_migrations(loader):
        state = loader.project_state(parents(loader, key))
        with connection.schema_editor(collect_sql=True, atomic=False) as editor:
            migration.apply(state, editor, collect_sql=True)
        assert [sql for sql in editor.collected_sql if not sql.startswith("--")] == [], key


def test_label_operations_take_alter_fields_only():
    with pytest.raises(TypeError, match="AlterField operations only"):
        AlterFieldLabels([migrations.AddField("therapy", "x", models.IntegerField())])
    alter = migrations.AlterField("therapy", "name", models.CharField(max_length=5))
    name, args, kwargs = AlterFieldLabels([alter]).deconstruct()
    assert (name, args, kwargs) == ("AlterFieldLabels", [], {"operations": [alter]})
