"""Trials: both roles get their permissions, and PostgreSQL a stored search document.

The search document follows migrations 0003 (a column the database owns, recomputed by a
trigger on every insert and update, with a GIN index) and 0011 (English, Spanish and the
spelling key). Registry numbers and the acronym weigh as names, so NCT04309981 or EMBARK
finds the trial.
"""

from importlib import import_module

from django.db import migrations

bilingual = import_module("genetx.migrations.0011_bilingual_search")
create_roles = import_module("genetx.migrations.0002_roles").create_roles

TABLE = "therapies_trial"
SHORT = "trial"
WEIGHTS = {
    "A": ("acronym", "nct_number", "eudract_number", "euct_number", "title"),
    "B": ("summary",),
}


def store_document(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    document = bilingual.document_sql(WEIGHTS, "NEW")
    schema_editor.execute(f"ALTER TABLE {TABLE} ADD COLUMN search_document tsvector")
    schema_editor.execute(
        f"CREATE FUNCTION {TABLE}_search_document() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN NEW.search_document := {document}; RETURN NEW; END $$"
    )
    schema_editor.execute(
        f"CREATE TRIGGER search_document BEFORE INSERT OR UPDATE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_search_document()"
    )
    schema_editor.execute(f"UPDATE {TABLE} SET search_document = NULL")
    schema_editor.execute(
        f"CREATE INDEX search_{SHORT}_document ON {TABLE} USING gin (search_document)"
    )


def drop_document(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS search_document ON {TABLE}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {TABLE}_search_document()")
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS search_document")


class Migration(migrations.Migration):
    dependencies = [
        ("genetx", "0011_bilingual_search"),
        ("therapies", "0007_trials"),
    ]

    operations = [
        migrations.RunPython(store_document, drop_document),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
