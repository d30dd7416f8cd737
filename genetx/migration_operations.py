"""Migration operations of the project's own."""

from django.db import migrations


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
        # While the state has no rendered apps, ProjectState.alter_field() only records the
        # field ("apps" is a cached property: absent from __dict__ until first read).
        rendered = state.__dict__.pop("apps", None)
        try:
            super().state_forwards(app_label, state)
        finally:
            if rendered is not None:
                state.apps = rendered
        changed = {(app_label, operation.model_name_lower) for operation in self.state_operations}
        # Not delayed: a changed foreign key must reach the models on its other side too.
        state.reload_models(changed, delay=False)

    def describe(self):
        return f"Change the labels of {len(self.state_operations)} fields"

    @property
    def migration_name_fragment(self):
        return "field_labels"


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
