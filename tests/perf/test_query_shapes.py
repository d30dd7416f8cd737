"""The SQL of list pages has the shape that keeps it fast on big tables (issue: statement
timeouts at 100,000 therapies). No timings: the statements themselves are checked."""

import json

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from genetx.listing import crosses_many
from sources.models import Claim, Source
from tests.factories import (
    make_claim,
    make_condition,
    make_institution,
    make_programme,
    make_source,
    make_therapy,
)
from therapies.models import Therapy

pytestmark = pytest.mark.django_db


def statements(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize(
    ("model", "path", "expected"),
    [
        (Source, "kind", False),
        (Source, "issued__year", False),
        (Claim, "therapy", False),
        (Claim, "therapy__slug", False),
        (Therapy, "conditions", True),
        (Therapy, "conditions__category", True),
        (Source, "citations__claim", True),
    ],
)
def test_crosses_many_tells_to_many_lookups(model, path, expected):
    assert crosses_many(model, path) is expected


def test_a_filter_on_the_rows_own_column_adds_no_distinct(client):
    """DISTINCT over the source list (with its correlated citation counts) made PostgreSQL
    sort every matching row before the LIMIT, and count through a subquery."""
    make_source(kind="journal_article", language="en")
    make_source(kind="book", language="en")
    url = reverse("sources:source-list") + "?kind=journal_article&language=en"
    sql = statements(client, url)
    assert any(s.startswith('SELECT "sources_source"."id"') for s in sql), sql
    # Neither the page of rows nor its count (which would wrap it in a subquery).
    assert not any("SELECT DISTINCT" in s for s in sql)


def test_a_filter_across_a_to_many_relation_is_a_subquery_without_distinct(client):
    """A therapy for two conditions of one category is listed once, and counted once,
    without DISTINCT (which sorted every matching row with all its columns): the filter
    reads the therapy's links in a subquery instead of joining them."""
    first = make_condition(category="genetic")
    second = make_condition(category="genetic")
    therapy = make_therapy(conditions=[first, second])
    url = reverse("therapies:therapy-list") + "?category=genetic"
    sql = statements(client, url)
    rows = [s for s in sql if s.startswith('SELECT "therapies_therapy"."id"')]
    assert rows and '"therapies_therapy"."id" IN (SELECT' in rows[0], sql
    total = [s for s in sql if s.startswith('SELECT COUNT(*) AS "__count"')]
    # (Facet counts grouped across the relation they count still count each row once.)
    assert total and not any("DISTINCT" in s for s in rows + total), rows + total
    response = client.get(url)
    assert response.content.decode().count(f'href="{therapy.get_absolute_url()}"') == 1
    assert response.context["paginator"].count == 1


def test_facet_counts_count_rows_without_distinct_unless_a_join_repeats_them(client):
    """COUNT(DISTINCT) sorts each group's rows: a facet over the row's own column (a
    source's kind) counts plainly; one across a to-many relation (an institution's
    therapies, through its programmes) still counts each row once."""
    make_source(kind="journal_article", language="en")
    sql = statements(client, reverse("sources:source-list"))
    facet_counts = [s for s in sql if 'AS "is_selected"' in s]
    assert facet_counts
    assert not any("COUNT(DISTINCT" in s for s in facet_counts)
    sql = statements(client, reverse("hospitals:institution-list"))
    therapy_facet = [s for s in sql if 'AS "programmes__therapy__slug"' in s]
    assert therapy_facet and "COUNT(DISTINCT" in therapy_facet[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's full-text search")
def test_search_computes_the_spelling_key_once_per_query(client):
    """genetx_spelling() calls unaccent(), which is only STABLE: inline, PostgreSQL
    recomputed it for every row compared (a common term's count read 6x slower). A query
    that folds to ASCII carries its key as a constant, whose frequency the planner reads
    from the documents' statistics: a term nearly every claim holds then gets its first
    candidates from a few rows in order, not from a bitmap of every match (400,000 claims:
    70 -> 0.3 ms; measured, not testable here without statistics other tests would see)."""
    make_source(title="Haemophilia gene therapy")
    make_source(title="Æsir")
    sql = statements(client, reverse("search") + "?q=hemofilia")
    searched = [s for s in sql if "@@" in s]
    assert searched
    assert not any("genetx_spelling" in s for s in searched)
    assert all("websearch_to_tsquery('simple'::regconfig, 'hemofili')" in s for s in searched)
    sql = statements(client, reverse("search") + "?q=%C3%A6sir")
    searched = [s for s in sql if "@@" in s]
    assert searched
    assert all("(SELECT genetx_spelling(" in s for s in searched)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes")
def test_sources_by_author_name_can_be_found_through_indexes():
    """Finding sources by an author's family name (without case or accents) or part of an
    organisation author's name read every author: both comparisons match an index
    (migration genetx 0016). With sequential scans ruled out, the plan shows them used."""
    from genetx.search import TYPES, reference_condition

    condition = reference_condition(TYPES["sources"], "Catalá consortium", unaccent=True)
    ((_, authors),) = condition.children  # pk__in: the authors' sources
    sql, params = authors.query.sql_with_params()
    with connection.cursor() as cursor:
        # An empty table is read whole whatever its indexes: rule that out, and plain index
        # scans (which the primary key offers for any condition), to see what can serve it.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "sources_author_family_folded" in plan
    assert "sources_author_literal_trgm" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's unaccent")
def test_an_author_family_name_matches_without_case_or_accents(client):
    source = make_source(title="Unrelated title", authors=[("Catalá", "E.")])
    body = client.get(reverse("search") + "?q=CATALA").content.decode()
    assert source.get_absolute_url() in body


def all_visible_as_after_vacuum(cursor, table: str) -> None:
    """Give the planner a table whose pages are all visible, as after a VACUUM in
    production, whatever earlier tests left: otherwise the planner's choice between an
    index-only scan and a bitmap scan depended on whether autovacuum had run on this test
    database yet. Inside the test's transaction, so it is rolled back with it."""
    cursor.execute(
        "UPDATE pg_class SET relpages = GREATEST(relpages, 1), "
        "relallvisible = GREATEST(relpages, 1) WHERE oid = %s::regclass",
        [table],
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.parametrize(
    ("url", "table"),
    [("sources:claim-list", "sources_claim"), ("sources:source-list", "sources_source")],
)
def test_list_facet_counts_can_read_an_index_alone(client, url, table):
    """The claim and source lists' totals and facet counts read narrow indexes (sources
    migration 0015) instead of the wide rows, which at 400,000 claims took the statement
    timeout. With sequential scans ruled out, each plan is an index-only scan."""
    make_source(kind="journal_article", language="en")
    sql = statements(client, reverse(url))
    counts = [
        s
        for s in sql
        if f'FROM "{table}"' in s.split(" WHERE ")[0]
        and ('AS "is_selected"' in s or s.startswith('SELECT COUNT(*) AS "__count"'))
        and ' JOIN "therapies_therapy"' not in s
    ]
    assert len(counts) >= 3
    with connection.cursor() as cursor:
        all_visible_as_after_vacuum(cursor, table)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        for statement in counts:
            cursor.execute("EXPLAIN " + statement)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Index Only Scan" in plan, (statement, plan)


def test_the_condition_list_reads_each_rows_kept_therapy_count(client):
    """No page of the list counts links (genetx.counts): a count per row, a GROUP BY over
    every condition's links, or a table of counts kept per content version all cost more
    as the links grow (0.66 s at 100,000 therapies sorted by the count). The counts shown
    are those a grouped count gives, and follow a therapy published later."""
    rare = make_condition(slug="rare-one", name="Rare one")
    make_condition(slug="untreated", name="Untreated")
    for slug in ("a", "b"):
        make_therapy(slug=slug, conditions=[rare])
    make_therapy(slug="draft", conditions=[rare], status="draft")
    for url in ("/conditions/", "/conditions/?sort=therapies", "/conditions/?format=json"):
        assert not [s for s in statements(client, url) if '"therapies_therapy_conditions"' in s]
    grouped = dict(
        Therapy.conditions.through.objects.filter(therapy__status="published")
        .values("condition")
        .annotate(n=Count("*"))
        .values_list("condition", "n")
    )
    response = client.get("/conditions/?sort=therapies")
    shown = {c.pk: c.therapy_count for c in response.context["object_list"]}
    assert shown == {rare.pk: 2, **{pk: 0 for pk in shown if pk != rare.pk}}
    assert {pk: n for pk, n in shown.items() if n} == grouped
    make_therapy(slug="c", conditions=[rare])
    body = b"".join(client.get("/conditions/?format=json").streaming_content)
    rows = json.loads(body)["results"]
    assert {row["name"]: row["therapies"] for row in rows} == {"Rare one": 3, "Untreated": 0}


def test_the_institution_list_reads_each_rows_kept_programme_count(client):
    """The same for the institution list's programme counts."""
    from hospitals.models import Institution

    busy = make_institution(slug="busy", name="Busy hospital")
    make_programme(institution=busy, role="develops")
    make_programme(institution=busy, role="treats")
    make_programme(institution=busy, role="trial_site", status="draft")
    make_institution(slug="quiet", name="Quiet hospital")
    for url in ("/institutions/", "/institutions/?sort=programmes"):
        # (The therapy facet joins programmes; no row's count does.)
        counting = [s for s in statements(client, url) if "programme_count" in s]
        assert counting and not [s for s in counting if '"hospitals_programme"' in s]
    grouped = dict(
        Institution.objects.published()
        .annotate(n=Count("programmes", filter=Q(programmes__status="published")))
        .values_list("pk", "n")
    )
    shown = dict(Institution.objects.for_listing().values_list("pk", "programme_count"))
    assert shown == grouped
    assert shown[busy.pk] == 2


def test_a_therapys_trials_are_found_by_indexed_lookups():
    """Trials of a therapy, or of an approach's products: two indexed lookups, not one OR
    across the join with DISTINCT over whole rows. The same trials, each once."""
    from tests.factories import make_trial
    from therapies.models import Trial

    approach = make_therapy(slug="car-t", kind="approach")
    product = make_therapy(slug="ari0002h", approach=approach)
    other = make_therapy(slug="other")
    on_both = make_trial(slug="both", therapies=[approach, product])
    on_product = make_trial(slug="product-only", therapies=[product])
    make_trial(slug="elsewhere", therapies=[other])
    found = Trial.objects.for_therapy(approach)
    sql = str(found.query)
    assert "DISTINCT" not in sql and " OR " not in sql.split(" IN ")[0]
    assert sorted(trial.pk for trial in found) == sorted([on_both.pk, on_product.pk])
    assert sorted(Trial.objects.for_therapy(product).values_list("pk", flat=True)) == sorted(
        [on_both.pk, on_product.pk]
    )
    assert list(Trial.objects.for_therapy(other).values_list("slug", flat=True)) == ["elsewhere"]


@pytest.mark.parametrize("model", ["therapy", "trial"])
def test_a_condition_pages_records_are_found_by_indexed_lookups(model):
    """Therapies and trials of a condition or its direct sub-conditions: two indexed
    lookups, not one OR across the join (which read every link) with a DISTINCT over whole
    rows. The same records, each once."""
    from tests.factories import make_trial
    from therapies.models import Trial

    parent = make_condition(slug="haemophilia")
    child = make_condition(slug="haemophilia-a", parent=parent)
    other = make_condition(slug="other")
    make_record = make_therapy if model == "therapy" else make_trial
    queryset = Therapy.objects if model == "therapy" else Trial.objects
    both = make_record(slug="both", conditions=[parent, child])
    only_child = make_record(slug="child-only", conditions=[child])
    make_record(slug="elsewhere", conditions=[other])
    found = queryset.for_condition(parent)
    sql = str(found.query)
    assert "DISTINCT" not in sql and " OR " not in sql.split(" IN ")[0]
    assert sorted(record.pk for record in found) == sorted([both.pk, only_child.pk])
    assert list(
        queryset.for_condition(child).values_list("pk", flat=True).order_by("pk")
    ) == sorted([both.pk, only_child.pk])


def test_the_claim_list_joins_only_the_subject_its_rows_show(client):
    """A claim-list row names the therapy a claim is about, nothing else: joining every
    subject (condition, institution, programme with its institution and therapy) made a
    seven-table join that PostgreSQL took 6.5 ms to plan and 0.5 ms to run."""

    therapy = make_therapy(slug="named", name="Named therapy")
    make_claim(slug="about-it", therapy=therapy)
    sql = statements(client, "/claims/")
    (listing,) = [s for s in sql if s.startswith('SELECT "sources_claim"."id", ')]
    assert '"therapies_therapy"' in listing
    for subject in ("therapies_condition", "hospitals_institution", "hospitals_programme"):
        assert subject not in listing, subject
    assert "Named therapy" in client.get("/claims/").content.decode()


def test_paged_lists_break_ties_by_primary_key(client):
    """Pages are cut by OFFSET: rows that tie on the order (decisions of one day, therapies
    of one name) need a last, unique key, or page 2 may repeat a row of page 1 and skip
    another (genetx.listing.with_unique_order). An order ending in a unique column (a
    claim's slug) is left as it is, so its index still serves it."""
    from tests.factories import make_decision

    make_decision()
    make_therapy(slug="one-name", name="Same name")
    make_claim()

    def page_query(url: str, table: str) -> str:
        (query,) = [
            s
            for s in statements(client, url)
            if s.startswith(f'SELECT "{table}"."id"') and " LIMIT " in s
        ]
        # The page's rows (or their ids, for a list that draws its rows once per content
        # version); Django's paginator asks for no more than there are.
        return query.rsplit(" LIMIT ", 1)[0]

    decisions = page_query("/decisions/", "therapies_regulatorydecision")
    assert decisions.endswith('"therapies_regulatorydecision"."id" ASC')
    therapies = page_query("/therapies/", "therapies_therapy")
    # The therapy list reads its page's ids alone: the id is column 1 of that query.
    assert therapies.startswith('SELECT "therapies_therapy"."id" AS "pk" FROM')
    assert therapies.endswith(", 1 ASC")
    claims = page_query("/claims/", "sources_claim")
    assert claims.endswith('"sources_claim"."slug" ASC')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_the_claim_lists_orders_are_read_from_an_index(client, sort):
    """Each of the claim list's date orders has an index that reads a page in order:
    "oldest first" could not read the newest-first index backwards (its slug runs the
    other way), so PostgreSQL sorted every claim for each page (2.3 s at 400,000 claims).
    With sorting ruled out, the page's plan is an index scan."""

    make_claim()
    sql = statements(client, f"/claims/?sort={sort}")
    (page,) = [s for s in sql if s.startswith('SELECT "sources_claim"."id", ') and " LIMIT " in s]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + page)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Sort" not in plan.replace("Incremental Sort", "").replace("Sort Key", ""), plan
    assert "Index Scan" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.parametrize(
    ("url", "table", "index"),
    [
        ("/therapies/?sort=newest", "therapies_therapy", "therapy_newest"),
        ("/institutions/?sort=newest", "hospitals_institution", "institution_newest"),
        ("/sources/?sort=cited", "sources_source", "source_most_cited"),
        ("/conditions/?sort=therapies", "therapies_condition", "condition_most_therapies"),
        ("/institutions/?sort=programmes", "hospitals_institution", "institution_most_programmes"),
        ("/sources/?sort=title", "sources_source", "source_title_order"),
        # The API's orders put empty values last (genetx.api.querying): where a column can
        # be empty that needs an index of its own; where it cannot, the list's serves.
        ("/api/v1/claims?sort=newest", "sources_claim", "claim_api_newest"),
        ("/api/v1/sources?sort=newest", "sources_source", "source_api_newest"),
        ("/api/v1/therapies?sort=newest", "therapies_therapy", "therapy_api_newest"),
        ("/api/v1/sources?sort=cited", "sources_source", "source_most_cited"),
        ("/api/v1/sources?sort=title", "sources_source", "source_title_order"),
        ("/api/v1/claims?sort=updated", "sources_claim", "sources_claim_updated_at"),
    ],
)
def test_sorted_lists_are_read_from_their_index(client, url, table, index):
    """ "Newest first" reads a page from the publication-date index, the name and id only
    breaking ties (an incremental sort), instead of sorting every row: 123 ms at 100,000
    therapies before the index. "Most cited", "most therapies" and "most programmes" read the
    count kept on each row (genetx.counts): counted per request and sorted, "most cited"
    took 10.7 s at 300,000 sources."""
    make_therapy(slug="newest", conditions=[make_condition(slug="newest")])
    make_institution(slug="newest")
    make_claim()
    sql = statements(client, url)
    # The page is cut by the query of its rows as model instances ("id", "version", ...:
    # the API) or of their ids alone (a list page, which draws its rows once per content
    # version and record, then reads them by id). A map's values() query also reads "id"
    # AS "pk", among other columns, so it is told apart by what follows.
    starts = (f'SELECT "{table}"."id", ', f'SELECT "{table}"."id" AS "pk" FROM ')
    (page,) = [s for s in sql if s.startswith(starts) and " LIMIT " in s]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + page)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
    assert "Sort" not in plan.replace("Incremental Sort", "").replace("Sort Key", ""), plan
