"""Search in English and Spanish on PostgreSQL.

Each stored search document (migration 0003) now holds every text three times, with the
same weights:

- through `genetx_unaccent` (English stemming, accents stripped), as before;
- through `genetx_unaccent_es`, a copy of PostgreSQL's Spanish configuration that strips
  accents before stemming, so "terapias génicas" finds "terapia genica";
- through `genetx_spelling()` and the `simple` configuration: the words with the spelling
  differences between British, American and Spanish medical words folded away, so
  haemophilia, hemophilia and hemofilia, leukaemia, leukemia and leucemia, dystrophy and
  distrofia, lymphoma and linfoma each become one word (hemofili, leucemi, distrofi,
  linfoma).

genetx.search asks each query in the three ways (an OR of the three). The folding rules
are written twice, here in SQL and in genetx.search.spelling_key() for the SQLite engine;
a test on PostgreSQL checks that both give the same words.

Nothing here runs on other databases.
"""

from django.db import migrations

ENGLISH = "genetx_unaccent"
SPANISH = "genetx_unaccent_es"

# The same tables and columns as migration 0003 (names A, summaries B, body C).
DOCUMENTS = {
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

# lower(unaccent()), then the spelling folds, then two word endings: a plural s (not ss)
# and -ia (Spanish hemofilia, English haemophilia: both hemofili).
SPELLING_FUNCTION = r"""
CREATE OR REPLACE FUNCTION genetx_spelling(value text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT regexp_replace(
    regexp_replace(
      replace(replace(replace(replace(replace(replace(replace(
        lower(unaccent(coalesce(value, ''))),
        'ae', 'e'), 'oe', 'e'), 'ph', 'f'), 'th', 't'), 'k', 'c'), 'y', 'i'), 'mf', 'nf'),
      '([a-z0-9]{3,}[a-rt-z0-9])s\M', '\1', 'g'),
    '([a-z0-9]{3,})ia\M', '\1i', 'g')
$$
"""


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


def english_only_sql(weights, row):
    parts = []
    for weight, columns in weights.items():
        text = " || ' ' || ".join(f"coalesce({row}.{column}, '')" for column in columns)
        parts.append(f"setweight(to_tsvector('{ENGLISH}'::regconfig, {text}), '{weight}')")
    return " || ".join(parts)


def _replace_functions(schema_editor, build):
    for table, weights in DOCUMENTS.items():
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {table}_search_document() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN NEW.search_document := {build(weights, 'NEW')}; "
            "RETURN NEW; END $$"
        )
        # Any update fires the trigger, which rebuilds every stored document.
        schema_editor.execute(f"UPDATE {table} SET search_document = NULL")


def bilingual(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE TEXT SEARCH CONFIGURATION {SPANISH} (COPY = pg_catalog.spanish)")
    schema_editor.execute(
        f"ALTER TEXT SEARCH CONFIGURATION {SPANISH} "
        "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem"
    )
    schema_editor.execute(SPELLING_FUNCTION)
    _replace_functions(schema_editor, document_sql)


def english_only(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _replace_functions(schema_editor, english_only_sql)
    schema_editor.execute("DROP FUNCTION IF EXISTS genetx_spelling(text)")
    schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {SPANISH}")


class Migration(migrations.Migration):
    dependencies = [("genetx", "0010_revision_go_live")]

    operations = [migrations.RunPython(bilingual, english_only)]
