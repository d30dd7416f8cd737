"""Stored search documents on PostgreSQL, kept current by triggers.

0001 indexed the weighted document as an expression, which finds rows fast but makes
PostgreSQL rebuild every matching row's document to rank it: a common word over a few
thousand records took seconds. Each searched table now holds its document in a
`search_document` column that a trigger recomputes on every insert and update, with a GIN
index on it; ranking reads the stored value.

The column is not a model field: the database owns it, and the models never read or write
it. A trigger rather than a generated column, because PostgreSQL refuses to change the type
of a column a generated column uses, which would block ordinary later migrations such as a
longer `name`. If a later migration renames or drops a column listed below, add a migration
that recreates that table's function, or inserts into the table fail loudly on PostgreSQL.

Nothing here runs on other databases.
"""

from django.db import migrations

CONFIG = "genetx_unaccent"

# table: (short name for index names, {weight: columns}); names A, summaries B, body C.
DOCUMENTS = {
    "therapies_therapy": (
        "therapy",
        {"A": ("name", "inn", "brand_name", "code"), "B": ("summary",), "C": ("mechanism",)},
    ),
    "therapies_condition": (
        "condition",
        {"A": ("name", "orpha_code", "icd10_code"), "B": ("summary",)},
    ),
    "hospitals_institution": ("institution", {"A": ("name",), "B": ("summary", "city", "region")}),
    "sources_source": (
        "source",
        {"A": ("title", "original_title"), "B": ("container_title", "publisher"), "C": ("note",)},
    ),
    "sources_claim": ("claim", {"A": ("statement",), "C": ("measure", "review_note")}),
}


def document_sql(weights, row=None):
    """The weighted tsvector of one row; `row` is NEW inside the trigger function."""
    parts = []
    for weight, columns in weights.items():
        prefix = f"{row}." if row else ""
        text = " || ' ' || ".join(f"coalesce({prefix}{column}, '')" for column in columns)
        parts.append(f"setweight(to_tsvector('{CONFIG}'::regconfig, {text}), '{weight}')")
    return " || ".join(parts)


def store_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (short, weights) in DOCUMENTS.items():
        schema_editor.execute(f"DROP INDEX IF EXISTS search_{short}_doc")
        schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN search_document tsvector")
        schema_editor.execute(
            f"CREATE FUNCTION {table}_search_document() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN NEW.search_document := {document_sql(weights, row='NEW')}; RETURN NEW; END "
            "$$"
        )
        schema_editor.execute(
            f"CREATE TRIGGER search_document BEFORE INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_search_document()"
        )
        # Any update fires the trigger, which fills the column for existing rows.
        schema_editor.execute(f"UPDATE {table} SET search_document = NULL")
        schema_editor.execute(
            f"CREATE INDEX search_{short}_document ON {table} USING gin (search_document)"
        )


def drop_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (short, weights) in DOCUMENTS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS search_document ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_search_document()")
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_document")
        schema_editor.execute(
            f"CREATE INDEX search_{short}_doc ON {table} USING gin (({document_sql(weights)}))"
        )


class Migration(migrations.Migration):
    dependencies = [("genetx", "0002_roles")]

    operations = [migrations.RunPython(store_documents, drop_documents)]
