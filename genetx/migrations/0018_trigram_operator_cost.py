"""Tell PostgreSQL's planner what pg_trgm's similarity operators cost (PostgreSQL only).

pg_trgm declares the functions behind `%`, `<%` and `%>` at the default cost of 1, as cheap
as comparing two integers. Comparing a query with a long summary takes tens of
microseconds, so on a table of a few hundred rows the planner chose to run the comparison
on every row (a sequential scan) over the trigram indexes: 9 ms of a typo-tolerant search's
13 ms at 10,000 therapies, on every search for a rare word. At COST 1000, about what one
comparison with a summary measures, the planner reads the trigram indexes and compares only
the rows they give (1 ms).

The functions belong to the extension: only their owner (usually a superuser) may change
them. Without that right the migration says so and goes on; search works the same, only
slower on rare words. pg_dump does not keep the change (a restore recreates the extension
as shipped): run `manage.py migrate genetx 0017 && manage.py migrate` after a restore.
"""

from django.db import migrations

FUNCTIONS = ("similarity_op", "word_similarity_op", "word_similarity_commutator_op")
COST = 1000


def _set_cost(schema_editor, cost: int) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"
        )
        row = cursor.fetchone()
    if row is None:
        return
    schema = schema_editor.quote_name(row[0])
    statements = " ".join(
        f"ALTER FUNCTION {schema}.{name}(text, text) COST {cost};" for name in FUNCTIONS
    )
    # A DO block so that a missing right is a notice, not a failed migration.
    schema_editor.execute(
        f"DO $$ BEGIN {statements} "
        "EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE "
        "'GeneTx: pg_trgm''s similarity operators keep their planner cost (changing it needs "
        "the owner of the extension); typo-tolerant search on small tables may be slower.'; "
        "END $$"
    )


def raise_cost(apps, schema_editor):
    _set_cost(schema_editor, COST)


def restore_cost(apps, schema_editor):
    _set_cost(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("genetx", "0017_model_names_translated")]

    operations = [migrations.RunPython(raise_cost, restore_cost, elidable=False)]
