"""Migration operations of the project's own."""

from django.db import migrations
from django.db.migrations.operations.base import Operation


def change_state_at_once(app_label, state, operations) -> None:
    """The operations' changes to the migration state, with the changed models (and those
    related to them) re-rendered once at the end rather than after each operation."""
    # While the state has no rendered apps, ProjectState only records each change ("apps"
    # is a cached property: absent from __dict__ until first read).
    rendered = state.__dict__.pop("apps", None)
    try:
        for operation in operations:
            operation.state_forwards(app_label, state)
    finally:
        if rendered is not None:
            state.apps = rendered
    changed = {(app_label, operation.model_name_lower) for operation in operations}
    # Not delayed: a changed or new relation must reach the models on its other side too.
    state.reload_models(changed, delay=False)


class AlterFieldLabels(migrations.SeparateDatabaseAndState):
    """Many ``AlterField`` operations that change labels only (verbose names, help texts,
    choice labels), applied to the migration state at once and never to the database.

    Django re-renders a model, and every model related to it, after each ``AlterField``.
    The migrations that translated every label hold a few hundred of them, and re-rendering
    the interlinked models after each one took over half of the time of creating a
    database (a test database above all): about 18 of 32 seconds. Here the fields change
    first and the models they belong to are re-rendered once. The resulting state is the
    one the plain operations give (tests/genetx/test_migrations.py checks it), and such
    changes produce no SQL on any database (``sqlmigrate`` prints none), so there is nothing
    to run against the schema.
    """

    def __init__(self, operations):
        if not all(isinstance(operation, migrations.AlterField) for operation in operations):
            raise TypeError("AlterFieldLabels takes AlterField operations only.")
        super().__init__(state_operations=operations)

    def deconstruct(self):
        return self.__class__.__qualname__, [], {"operations": self.state_operations}

    def state_forwards(self, app_label, state):
        change_state_at_once(app_label, state, self.state_operations)

    def describe(self):
        return f"Change the labels of {len(self.state_operations)} fields"

    @property
    def migration_name_fragment(self):
        return "field_labels"


class AddToModels(Operation):
    """Consecutive ``AddField``, ``AddConstraint`` and ``AddIndex`` operations of one
    migration, on any of its app's models, applied to the migration state at once and to the
    database one by one, as the plain operations would be.

    Django re-renders a model after each of these operations, with the models next to it,
    and after a relation every model linked to it however remotely: most of the project's.
    That took more than half of the time of creating a database. Here the state changes
    first and the changed models, with those related to them, are re-rendered once.

    The database still needs each operation's model as it is before and after it: on SQLite,
    adding a column that is not null, or a check constraint, rebuilds the table from the
    model given (``_remake_table``), and the final model would bring the later columns and
    constraints too early. For each operation but the last, a copy of the state re-renders
    only the model the operation changed, so every changed model is rendered as it stands
    and its relations resolve to the others as they stand. A model rendered earlier may still
    point at an older rendering of one changed since; the schema editor reads only the
    changed model and, through its relations, the tables, columns and key types they point
    to, which additions leave alone (adding a primary key would not, so it is refused).
    tests/genetx/test_migrations.py checks, for every migration using this one, that it
    runs the plain operations' statements, forwards and backwards, and leaves their state.
    Initial migrations keep their ``AddField`` operations plain: ``migrate --fake-initial``
    recognises an initial migration's columns by those alone.

    242 operations in 25 migrations: ``migrate`` on a new database took 12.5 s on SQLite and
    12.9 s on PostgreSQL, and takes 8.1 and 8.3 s (medians of three); migrating the apps to
    zero and back (tests/genetx/test_migrations.py) 31 -> 15 s.
    """

    reduces_to_sql = True
    reversible = True
    kinds = (migrations.AddField, migrations.AddConstraint, migrations.AddIndex)

    def __init__(self, operations):
        if not all(isinstance(operation, self.kinds) for operation in operations):
            raise TypeError("AddToModels takes AddField, AddConstraint and AddIndex only.")
        if any(
            getattr(operation, "field", None) and operation.field.primary_key
            for operation in operations
        ):
            # Foreign keys take their type from the key they point to, which must not move.
            raise TypeError("AddToModels does not add primary keys.")
        self.operations = list(operations)
        super().__init__()

    def deconstruct(self):
        return self.__class__.__qualname__, [], {"operations": self.operations}

    def state_forwards(self, app_label, state):
        change_state_at_once(app_label, state, self.operations)

    def steps(self, app_label, before, after):
        """Each operation with the states before and after it: `before` (the state before
        the batch), the states in between, and `after` (the state after the batch)."""
        states = [before]
        before.apps  # rendered, if it was not (sqlmigrate's is not)  # noqa: B018
        for operation in self.operations[:-1]:
            state = states[-1].clone()
            apps = state.__dict__.pop("apps")
            operation.state_forwards(app_label, state)
            state.apps = apps
            # The changed model alone, rendered afresh: its relations resolve to the models
            # as they stand, itself included.
            model = app_label, operation.model_name_lower
            with apps.bulk_update():
                apps.unregister_model(*model)
            apps.render_multiple([state.models[model]])
            states.append(state)
        states.append(after)
        return zip(self.operations, states[:-1], states[1:], strict=True)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for operation, before, after in self.steps(app_label, from_state, to_state):
            operation.database_forwards(app_label, schema_editor, before, after)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for operation, before, after in reversed(list(self.steps(app_label, to_state, from_state))):
            operation.database_backwards(app_label, schema_editor, after, before)

    def describe(self):
        return "; ".join(operation.describe() for operation in self.operations)

    @property
    def migration_name_fragment(self):
        return "additions"


def fill_count(model: str, field: str, counted: str, to_row: str, distinct: str = "", **where):
    """A RunPython function that fills a new kept-count column (genetx.counts) for the rows
    already stored: how many `counted` rows matching `where` point at each through `to_row`.
    Names are "app_label.ModelName" (an automatic through table: "therapies.Therapy_conditions").
    """

    def fill(apps, schema_editor):
        from django.db.models import Count, OuterRef, Subquery, Value
        from django.db.models.functions import Coalesce

        rows, links = apps.get_model(model), apps.get_model(counted)
        per_row = (
            links.objects.filter(**{to_row: OuterRef("pk")}, **where)
            .order_by()
            .values(to_row)
            .annotate(count=Count(distinct, distinct=True) if distinct else Count("*"))
            .values("count")
        )
        rows.objects.filter(pk__in=links.objects.values(to_row)).update(
            **{field: Coalesce(Subquery(per_row), Value(0))}
        )

    return fill


def postgresql_indexes(indexes: dict[str, str]) -> migrations.RunPython:
    """Create (and, undone, drop) indexes that only PostgreSQL has: trigram and `NULLS LAST`
    indexes, which SQLite cannot build and its small tables do not need. `indexes` maps each
    index's name to what follows ON: 'table USING gin (column gin_trgm_ops)', say."""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for name, definition in indexes.items():
                schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON {definition}')

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for name in indexes:
                schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    return migrations.RunPython(create, drop, elidable=False)


def trigram_indexes(columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """The trigram index of each column, by table, named <table>_<column>_trgm."""
    return {
        f"{table}_{column}_trgm": f"{table} USING gin ({column} gin_trgm_ops)"
        for table, names in columns.items()
        for column in names
    }
