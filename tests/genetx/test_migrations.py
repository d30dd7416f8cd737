"""Every project migration can be undone: each app migrates to zero and back; label-only
migrations change the state as plain AlterField operations would, and run no SQL; batched
additions change the state and run the SQL of the plain operations."""

import pytest
from django.core.management import call_command
from django.db import connection, migrations, models
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

from genetx.migration_operations import AddToModels, AlterFieldLabels
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


def migrations_with(loader, kind):
    return [
        (key, migration)
        for key, migration in sorted(loader.disk_migrations.items())
        if any(isinstance(op, kind) for op in migration.operations)
    ]


def label_migrations(loader):
    return migrations_with(loader, AlterFieldLabels)


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


def plain(operations):
    """The operations with each AddToModels batch replaced by the operations it holds."""
    return [
        sub for op in operations for sub in (op.operations if isinstance(op, AddToModels) else [op])
    ]


@pytest.fixture(scope="module")
def addition_migrations():
    """Each migration holding AddToModels with the state before it, rendered as the migration
    executor has it: one walk through the history, not one per migration."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan = {
        node: loader.graph.nodes[node]
        for leaf in loader.graph.leaf_nodes()
        for node in loader.graph.forwards_plan(leaf)
    }
    state = ProjectState(real_apps=loader.unmigrated_apps)
    state.apps  # noqa: B018
    found = []
    for key, migration in plan.items():
        if any(isinstance(op, AddToModels) for op in migration.operations):
            found.append((key, migration, state.clone()))
        migration.mutate_state(state, preserve=False)
    assert {key[0] for key, _, _ in found} == set(PROJECT_APPS)
    return found


def rendered_tables(state):
    """Every rendered model's columns in order, constraints and indexes."""
    return sorted(
        (
            model._meta.label,
            [field.column for field in model._meta.local_concrete_fields],
            [constraint.name for constraint in model._meta.constraints],
            [index.name for index in model._meta.indexes],
        )
        for model in state.apps.get_models(include_auto_created=True)
    )


def test_addition_batches_give_the_state_of_plain_operations(addition_migrations):
    """AddToModels re-renders once instead of once per operation; the state it leaves, and
    the models a later data migration would read from it, are those of the plain
    operations rendered afresh."""
    for key, migration, start in addition_migrations:
        batched = start.clone()
        # Not rendered until all its operations have run: a fresh rendering is the reference.
        reference = ProjectState(
            {model: state.clone() for model, state in start.models.items()}, start.real_apps
        )
        for op in plain(migration.operations):
            op.state_forwards(key[0], reference)
        for op in migration.operations:
            op.state_forwards(key[0], batched)
        assert batched.models == reference.models, key
        assert rendered_fields(batched) == rendered_fields(reference), key
        assert rendered_tables(batched) == rendered_tables(reference), key
        # The models did change, so the comparisons above compared something.
        assert batched.models != start.models, key


def statements(editor):
    return [sql for sql in editor.collected_sql if not sql.startswith("--")]


# Slow: the plain operations re-render as they always did (about 7 s of its 12 s of CPU).
@pytest.mark.slow
def test_addition_batches_run_the_sql_of_plain_operations(addition_migrations):
    """On this database, each migration holding AddToModels runs, forwards and backwards,
    the statements its plain operations run, in the same order, each plain operation given
    the states Django builds for it (on SQLite, adding most columns and check constraints
    rebuilds the table from the model given, so a wrong model shows here)."""
    for key, migration, start in addition_migrations:
        # The states before and after each plain operation, as Migration.unapply builds them.
        steps, state = [], start
        for op in plain(migration.operations):
            before, state = state, state.clone()
            op.state_forwards(key[0], state)
            if op.reduces_to_sql:  # RunPython is not collected, as sqlmigrate leaves it out
                steps.append((op, before, state))
        with connection.schema_editor(collect_sql=True, atomic=False) as editor:
            for op, before, after in steps:
                op.database_forwards(key[0], editor, before, after)
        plain_forwards = statements(editor)
        with connection.schema_editor(collect_sql=True, atomic=False) as editor:
            for op, before, after in reversed(steps):
                op.database_backwards(key[0], editor, after, before)
        plain_backwards = statements(editor)

        with connection.schema_editor(collect_sql=True, atomic=False) as editor:
            migration.apply(start.clone(), editor, collect_sql=True)
        assert statements(editor) == plain_forwards, key
        with connection.schema_editor(collect_sql=True, atomic=False) as editor:
            migration.unapply(start.clone(), editor, collect_sql=True)
        assert statements(editor) == plain_backwards, key
        assert plain_forwards, key
        assert plain_backwards, key


def test_addition_batches_take_additions_without_primary_keys():
    with pytest.raises(TypeError, match="AddField, AddConstraint and AddIndex only"):
        AddToModels([migrations.AlterField("therapy", "name", models.CharField(max_length=5))])
    with pytest.raises(TypeError, match="primary keys"):
        AddToModels([migrations.AddField("therapy", "key", models.IntegerField(primary_key=True))])
    add = migrations.AddField("therapy", "x", models.IntegerField(null=True))
    index = migrations.AddIndex("therapy", models.Index(fields=["x"], name="therapy_x"))
    name, args, kwargs = AddToModels([add, index]).deconstruct()
    assert (name, args, kwargs) == ("AddToModels", [], {"operations": [add, index]})
