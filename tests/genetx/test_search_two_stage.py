"""Search in two stages on PostgreSQL: full text on the GIN index first, typo tolerance only
when full text finds little, and ranking bounded to a few hundred candidates."""

import pytest
from django.db import connection

from genetx import search
from tests.factories import make_therapy

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def test_typo_tolerance_only_when_full_text_finds_little(monkeypatch):
    monkeypatch.setattr(search, "FUZZY_BELOW", 2)
    make_therapy(name="Zolgensma")
    # A misspelling finds nothing by full text: the near name is found.
    assert search.PostgresSearch("Zolgensmo").counts()["therapies"] == 1
    make_therapy(name="Zolgensmo one")
    make_therapy(name="Zolgensmo two")
    # Now full text finds at least two records of the type: the count is full text's
    # alone, no similarity scan is added.
    engine = search.PostgresSearch("Zolgensmo")
    full_text = engine._full_text_count(search.TYPES["therapies"])
    assert full_text >= 2
    assert not engine._typo_tolerant(search.TYPES["therapies"])
    assert engine.counts()["therapies"] == full_text
    titles = {hit.title for hit in engine.hits("therapies")[:10]}
    assert {"Zolgensmo one", "Zolgensmo two"} <= titles


def test_a_common_term_ranks_candidates_and_keeps_exact_counts_and_pages(monkeypatch):
    monkeypatch.setattr(search, "RANK_CANDIDATES", 3)
    for number in range(7):
        make_therapy(name=f"Vectorgene {number}", summary="An adeno-associated vectorgene.")
    engine = search.PostgresSearch("vectorgene")
    hits = engine.hits("therapies")
    assert engine.counts()["therapies"] == len(hits) == 7
    first = hits[:3]
    rest = hits[3:7]
    assert len(first) == 3 and len(rest) == 4
    # Every record is reachable by paging, and the first page's hits are matches.
    assert {hit.title for hit in hits[:7]} == {f"Vectorgene {n}" for n in range(7)}
    assert all(hit.title.startswith("Vectorgene") for hit in first)


def test_the_candidates_reach_the_ranked_query_as_one_array(monkeypatch):
    # 300 candidates written as `id IN (%s, %s, ...)` were 300 parameters that Django
    # prepared and psycopg quoted one by one, on every type of every common-term search.
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(search, "RANK_CANDIDATES", 3)
    for number in range(5):
        make_therapy(name=f"Capsidgene {number}", summary="A capsidgene vector.")
    engine = search.PostgresSearch("capsidgene")
    engine.counts()
    with CaptureQueriesContext(connection) as queries:
        titles = [hit.title for hit in engine.hits("therapies")[:3]]
    ranked = [q["sql"] for q in queries.captured_queries if "ts_rank" in q["sql"]]
    assert len(ranked) == 1
    assert '"therapies_therapy"."id" = ANY(' in ranked[0]
    assert " IN (" not in ranked[0]
    assert len(titles) == 3 and all(title.startswith("Capsidgene") for title in titles)


def test_the_planner_knows_trigram_comparisons_are_costly():
    # At pg_trgm's default cost of 1 the planner compared a rare word with every summary
    # of a small table (a sequential scan, 9 ms) instead of reading the trigram indexes
    # (1 ms): migration genetx 0018 raises it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, procost FROM pg_proc WHERE proname IN "
            "('similarity_op', 'word_similarity_op', 'word_similarity_commutator_op')"
        )
        costs = dict(cursor.fetchall())
    assert costs == {
        "similarity_op": 1000,
        "word_similarity_op": 1000,
        "word_similarity_commutator_op": 1000,
    }
