"""The stored search documents read the Spanish translations of content too (name_es,
summary_es, ...; django-modeltranslation, each app's translation.py), with the same
weights as the English text, so a Spanish word written by an editor finds its record from
either language's pages. The English text stays in the original columns.

Nothing here runs on other databases.
"""

from django.db import migrations

ENGLISH = "genetx_unaccent"
SPANISH = "genetx_unaccent_es"

BEFORE = {
    "therapies_therapy": {
        "A": ("name", "inn", "brand_name", "code"),
        "B": ("summary",),
        "C": ("mechanism",),
    },
    "therapies_condition": {"A": ("name", "orpha_code", "icd10_code"), "B": ("summary",)},
    "hospitals_institution": {"A": ("name",), "B": ("summary", "city", "region")},
    "sources_source": {
        "A": ("title", "original_title"),
        "B": ("container_title", "publisher"),
        "C": ("note",),
    },
    "sources_claim": {"A": ("statement",), "C": ("measure", "review_note")},
}
AFTER = {
    "therapies_therapy": {
        "A": ("name", "name_es", "inn", "brand_name", "code"),
        "B": ("summary", "summary_es"),
        "C": ("mechanism", "mechanism_es"),
    },
    "therapies_condition": {
        "A": ("name", "name_es", "orpha_code", "icd10_code"),
        "B": ("summary", "summary_es"),
    },
    "hospitals_institution": {
        "A": ("name", "name_es"),
        "B": ("summary", "summary_es", "city", "region"),
    },
    "sources_source": BEFORE["sources_source"],
    "sources_claim": {"A": ("statement", "statement_es"), "C": ("measure", "review_note")},
}


def document_sql(weights, row):
    parts = []
    for weight, columns in weights.items():
        text = " || ' ' || ".join(f"coalesce({row}.{column}, '')" for column in columns)
        parts += [
            f"setweight(to_tsvector('{ENGLISH}'::regconfig, {text}), '{weight}')",
            f"setweight(to_tsvector('{SPANISH}'::regconfig, {text}), '{weight}')",
            f"setweight(to_tsvector('simple'::regconfig, genetx_spelling({text})), '{weight}')",
        ]
    return " || ".join(parts)


def _replace(documents):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, weights in documents.items():
            schema_editor.execute(
                f"CREATE OR REPLACE FUNCTION {table}_search_document() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN NEW.search_document := "
                f"{document_sql(weights, 'NEW')}; RETURN NEW; END $$"
            )
            schema_editor.execute(f"UPDATE {table} SET search_document = NULL")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("genetx", "0012_trials"),
        ("therapies", "0008_translations"),
        ("hospitals", "0008_translations"),
        ("sources", "0012_translations"),
    ]

    operations = [migrations.RunPython(_replace(AFTER), _replace(BEFORE))]
