"""Admin changelists run a fixed number of queries however many rows a page shows."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from genetx.admin import EstimatedCountPaginator
from sources.models import Source
from tests.factories import make_claim, make_condition, make_decision, make_programme, make_source

pytestmark = pytest.mark.django_db

# Queries for one changelist page seen by a superuser: session, user, the page's count and
# rows, prefetches, each related-field filter's choices and the date hierarchy's range.
# PostgreSQL adds one: the paginator asks pg_class for the table's size before counting.
BUDGETS = {
    "therapies.modality": 5,
    "therapies.condition": 5,
    "therapies.therapy": 6,
    "therapies.regulatorydecision": 8,
    "hospitals.institution": 7,
    "hospitals.programme": 5,
    "sources.source": 8,
    "sources.author": 4,
    "sources.claim": 6,
    "sources.citation": 4,
}


def build_rows(count: int) -> None:
    for _ in range(count):
        decision = make_decision()
        source = make_source(authors=[("Catalá", "E."), ("Iacoboni", "G.")])
        make_claim(therapy=decision.therapy, sources=[source, decision.source])
        make_programme(therapy=decision.therapy)
        make_condition(parent=make_condition())


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", password="pw-root"))
    return client


@pytest.mark.parametrize("size", [2, 8])
@pytest.mark.parametrize("model", sorted(BUDGETS))
def test_changelist_query_count_does_not_grow_with_rows(
    superuser_client, django_assert_num_queries, model, size
):
    build_rows(size)
    app_label, model_name = model.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    if connection.vendor == "postgresql":
        # The paginator trusts pg_class's row estimate, which a test that committed 10,000
        # rows earlier in this database leaves behind; refresh it so the page counts.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {apps.get_model(model)._meta.db_table}")
    expected = BUDGETS[model] + (connection.vendor == "postgresql")
    with django_assert_num_queries(expected):
        response = superuser_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count >= size


class EagerEstimate(EstimatedCountPaginator):
    exact_below = 1


def test_paginator_estimates_an_unfiltered_postgresql_table_without_counting(
    django_assert_num_queries,
):
    if connection.vendor != "postgresql":
        pytest.skip("the estimate reads PostgreSQL's pg_class; other databases count exactly")
    for _ in range(3):
        make_source()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sources_source")
    with django_assert_num_queries(1) as captured:
        assert EagerEstimate(Source.objects.all(), 10).count == 3
    assert "pg_class" in captured.captured_queries[0]["sql"]
    with django_assert_num_queries(1) as captured:
        assert EagerEstimate(Source.objects.filter(kind="book"), 10).count == 0
    assert "COUNT" in captured.captured_queries[0]["sql"]
