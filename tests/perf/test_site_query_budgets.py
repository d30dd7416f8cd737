"""The site-wide pages run a fixed number of SQL queries, whatever the number of rows."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import (
    make_claim,
    make_condition,
    make_decision,
    make_figure,
    make_institution,
    make_modality,
    make_source,
    make_therapy,
    make_trial,
)

pytestmark = pytest.mark.django_db

# Home: key figures with their citations and the cited sources' authors (3), latest updates
# of six types (6), conditions with counts (1), modalities with counts (1), one aggregate
# per chart: therapies by modality and by status, decisions by year and agency (3).
HOME_QUERIES = 14
# Timeline: each kind's next positions, date and id (5); then the rows shown: dated claims,
# their citations with sources, those sources' authors (3); decisions, their sources'
# authors (2); dated sources, their authors (2); trial starts and completions, each with
# their citations and the cited sources' authors (3 + 3). The first request of a content
# version also counts each kind's entries per year (5), for the year index and the chart.
TIMELINE_QUERIES = 18
TIMELINE_YEAR_COUNTS = 5
# Search, all types, on PostgreSQL, the first time in a content version: per type the
# full-text count that decides whether typo matching is needed (6) and the count that
# reads it (6), then the best hits of each type that has any (6); on other databases one
# candidate query per type (6); on both, the sources whose author (or DOI) the query
# names (1). Later searches in the same version read both counts from the cache.
SEARCH_ALL_QUERIES = 19 if connection.vendor == "postgresql" else 7
# Search, one type: the twelve counts and one page of hits on PostgreSQL; the candidates
# of every type (for the counts) on other databases; the sources found by author (1).
SEARCH_ONE_TYPE_QUERIES = 14 if connection.vendor == "postgresql" else 7
# Feed: latest updates of six types.
FEED_QUERIES = 6
# Sitemap index: each of the six record sections' count (its pages) and last change. A
# section's file: its count, then its page of records, read once for both languages.
SITEMAP_INDEX_QUERIES = 12
SITEMAP_SECTION_QUERIES = 2


def build_site(size: int) -> None:
    """`size` records of every kind, all matching the search word "gene"."""
    for number in range(size):
        modality = make_modality(name=f"Gene modality {number}")
        condition = make_condition(name=f"Gene condition {number}", summary="Gene.")
        therapy = make_therapy(
            name=f"Gene therapy {number}", conditions=[condition], modality=modality
        )
        institution = make_institution(name=f"Gene institution {number}", kind="regulator")
        source = make_source(title=f"Gene source {number}", authors=[("Author", "A.")])
        make_figure(
            value=number,
            statement=f"Gene figure {number}.",
            as_of=datetime.date(2024, 1, 1),
            as_of_precision="day",
            sources=[source, make_source(authors=[("Other", "B."), ("Third", "C.")])],
        )
        make_claim(
            statement=f"Gene event {number}.",
            event_date=datetime.date(2020, 1, 1),
            event_date_precision="year",
            sources=[source],
        )
        make_decision(therapy=therapy, agency=institution, source=source)
        make_trial(
            title=f"Gene trial {number}",
            therapies=[therapy],
            conditions=[condition],
            sources=[source],
            completion_date=datetime.date(2024, 1, 1),
            completion_date_precision="year",
        )


@pytest.mark.parametrize("size", [2, 12])
def test_home_query_budget(client, django_assert_num_queries, size, language):
    build_site(size)
    with django_assert_num_queries(HOME_QUERIES):
        assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("size", [2, 12])
def test_timeline_query_budget(client, django_assert_num_queries, size, language):
    build_site(size)
    with django_assert_num_queries(TIMELINE_QUERIES + TIMELINE_YEAR_COUNTS):
        assert client.get(reverse("timeline")).status_code == 200
    with django_assert_num_queries(TIMELINE_QUERIES):
        assert client.get(reverse("timeline") + "?from=2020").status_code == 200


@pytest.mark.parametrize("size", [2, 12])
def test_search_all_types_query_budget(client, django_assert_num_queries, size, language):
    build_site(size)
    with django_assert_num_queries(SEARCH_ALL_QUERIES):
        response = client.get(reverse("search"), {"q": "gene"})
    assert response.status_code == 200
    assert all(item["count"] >= size for item in response.context["types"])


@pytest.mark.parametrize("size", [2, 25])
def test_search_one_type_query_budget(client, django_assert_num_queries, size, language):
    build_site(size)
    with django_assert_num_queries(SEARCH_ONE_TYPE_QUERIES):
        response = client.get(reverse("search"), {"q": "gene", "type": "therapies"})
    assert response.status_code == 200
    assert len(response.context["hits"]) == min(size, 20)


@pytest.mark.parametrize("size", [2, 12])
def test_feed_query_budget(client, django_assert_num_queries, size, language):
    build_site(size)
    with django_assert_num_queries(FEED_QUERIES):
        assert client.get(reverse("feed")).status_code == 200


@pytest.mark.parametrize("size", [2, 12])
def test_sitemap_query_budget(client, django_assert_num_queries, size):
    build_site(size)
    with django_assert_num_queries(SITEMAP_INDEX_QUERIES):
        assert client.get(reverse("sitemap")).status_code == 200
    with django_assert_num_queries(SITEMAP_SECTION_QUERIES):
        assert client.get(reverse("sitemap-section", args=["claims"])).status_code == 200
