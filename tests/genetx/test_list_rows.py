"""List rows drawn once per content version and record (FacetedListView.rows_html,
genetx.cache.per_record), then shared by every page, filter and sort that shows them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from genetx.cache import per_record
from tests.factories import (
    make_condition,
    make_institution,
    make_modality,
    make_source,
    make_therapy,
)

pytestmark = pytest.mark.django_db

# The query that reads a page's rows to draw them (the therapy list's, with its columns).
ROWS = 'SELECT "therapies_therapy"."id", '


def therapy_list(client, path="/therapies/"):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def test_a_row_is_drawn_once_then_read_from_the_cache(client):
    condition = make_condition(name="Drawn condition")
    make_therapy(name="Drawn therapy", conditions=[condition])
    first, first_sql = therapy_list(client)
    again, again_sql = therapy_list(client)
    assert again == first
    assert "Drawn therapy" in again and "Drawn condition" in again
    assert any(sql.startswith(ROWS) for sql in first_sql)
    # Neither the rows nor their conditions are read again, and the count, facets and
    # charts are kept per content version too: the page reads only its rows' ids.
    (ids,) = again_sql
    assert ids.startswith('SELECT "therapies_therapy"."id" AS "pk" FROM "therapies_therapy"')


def test_rows_drawn_for_one_page_serve_another(client):
    modality = make_modality(slug="shared")
    make_therapy(name="First shared", modality=modality)
    make_therapy(name="Second shared", modality=modality)
    elsewhere = make_therapy(name="Only on the whole list")
    therapy_list(client, "/therapies/?modality=shared")
    page, sql = therapy_list(client, "/therapies/")
    # The whole list draws only the row the filtered page did not.
    (rows,) = [s for s in sql if s.startswith(ROWS)]
    assert f'"therapies_therapy"."id" IN ({elsewhere.pk})' in rows, rows
    assert "First shared" in page and "Only on the whole list" in page
    # Another sort of the same rows draws none.
    _, sql = therapy_list(client, "/therapies/?sort=newest")
    assert not any(s.startswith(ROWS) for s in sql)


def test_a_save_redraws_the_rows_that_show_it(client):
    condition = make_condition(name="Old condition name")
    therapy = make_therapy(name="Old therapy name", conditions=[condition])
    therapy_list(client)
    therapy.name = "New therapy name"
    therapy.save()
    condition.name = "New condition name"
    condition.save()
    page, _ = therapy_list(client)
    assert "New therapy name" in page and "New condition name" in page
    assert "Old therapy name" not in page and "Old condition name" not in page


def test_each_language_draws_its_own_rows(client):
    make_therapy(name_en="English name", name_es="Nombre en español")
    english, _ = therapy_list(client, "/therapies/")
    spanish, _ = therapy_list(client, "/es/therapies/")
    assert "English name" in english and "Nombre en español" not in english
    assert "Nombre en español" in spanish


@pytest.mark.parametrize(
    "path, make, shown",
    [
        ("/conditions/", lambda: make_condition(name="Listed condition"), "Listed condition"),
        (
            "/institutions/",
            lambda: make_institution(name="Listed institution"),
            "Listed institution",
        ),
        ("/sources/", lambda: make_source(title="Listed source title"), "Listed source title"),
    ],
)
def test_the_other_lists_reuse_their_rows_too(client, path, make, shown):
    make()
    first = client.get(path)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(path)
    assert shown in first.content.decode()
    assert again.content == first.content
    table = {"/conditions/": "therapies_condition", "/institutions/": "hospitals_institution"}
    table = table.get(path, "sources_source")
    # The second time only the page's ids are read, not its rows' columns.
    assert not any(
        q["sql"].startswith(f'SELECT "{table}"."id", ') for q in queries.captured_queries
    )


def test_a_record_gone_between_the_two_reads_is_left_out():
    """The ids come first, the rows after: a row unpublished in between is not drawn, and
    the others keep their order."""
    drawn = per_record(
        "test-rows", [3, 1, 2], lambda pks: {pk: f"row {pk}" for pk in pks if pk != 1}
    )
    assert drawn == ["row 3", "row 2"]
    # Kept per record: the next page with the same rows draws none of them again.
    assert per_record("test-rows", [2, 3], lambda pks: dict.fromkeys(pks, "again")) == [
        "row 2",
        "row 3",
    ]


def test_rows_are_kept_per_language():
    with translation.override("es"):
        assert per_record("test-lang", [1], lambda pks: {1: "es"}) == ["es"]
    assert per_record("test-lang", [1], lambda pks: {1: "en"}) == ["en"]
