import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genetx import search
from genetx.models import Status
from tests.factories import (
    make_claim,
    make_condition,
    make_institution,
    make_modality,
    make_source,
    make_therapy,
    make_trial,
)

pytestmark = pytest.mark.django_db

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


def get_search(client, **params):
    response = client.get(reverse("search"), params)
    assert response.status_code == 200
    return response


def found_titles(response):
    """Titles of every hit on the page, grouped view or one type."""
    titles = [hit.title for group in response.context["groups"] for hit in group["hits"]]
    return titles + [hit.title for hit in response.context["hits"]]


# Behaviour on every database ---------------------------------------------------------------


def test_finds_a_therapy_by_name_whatever_the_capitals(client):
    make_therapy(name="CAR-T therapy")
    make_therapy(name="Haemophilia gene therapy")
    assert found_titles(get_search(client, q="car-t")) == ["CAR-T therapy"]


def test_matching_ignores_accents_both_ways(client):
    make_institution(name="Sant Joan de Déu Hospital")
    make_institution(name="Clinica Universidad")
    assert found_titles(get_search(client, q="deu")) == ["Sant Joan de Déu Hospital"]
    assert found_titles(get_search(client, q="Clínica")) == ["Clinica Universidad"]


def test_finds_every_type(client):
    make_therapy(name="Zolgensma-like therapy", summary="Gene therapy for zebrafish.")
    make_condition(name="Zebrafish syndrome")
    make_institution(name="Zebrafish Institute")
    make_source(title="Zebrafish models")
    make_claim(statement="Zebrafish were studied.")
    make_trial(title="A zebrafish trial")
    response = get_search(client, q="zebrafish")
    counts = {item["type"].key: item["count"] for item in response.context["types"]}
    assert counts == {
        "therapies": 1,
        "trials": 1,
        "conditions": 1,
        "institutions": 1,
        "sources": 1,
        "claims": 1,
    }
    assert response.context["total"] == 6
    headings = [group["type"].label for group in response.context["groups"]]
    assert headings == ["Therapies", "Trials", "Conditions", "Institutions", "Sources", "Claims"]


def test_unpublished_records_are_never_found(client):
    make_therapy(name="Secret therapy", status=Status.DRAFT)
    make_condition(name="Secret condition", status=Status.REVIEW)
    make_institution(name="Secret institution", status=Status.ARCHIVED)
    make_source(title="Secret source", status=Status.DRAFT)
    make_claim(statement="Secret claim.", status=Status.DRAFT)
    response = get_search(client, q="secret")
    assert response.context["total"] == 0
    assert "Secret" not in response.content.decode().split("<main", 1)[1].replace("“secret”", "")


def test_finds_words_in_the_summary_and_highlights_them(client):
    make_therapy(name="Therapy A", summary="Developed at a hospital in Barcelona.")
    response = get_search(client, q="barcelona")
    assert found_titles(response) == ["Therapy A"]
    assert "<mark>Barcelona</mark>" in response.content.decode()


def test_highlight_escapes_the_stored_text(client):
    make_therapy(name="Therapy B", summary="<b onclick=x>Déu</b> & <script>alert(1)</script>")
    html = get_search(client, q="deu").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "<b onclick" not in html
    assert "<mark>Déu</mark>" in html


def test_tolerates_a_typo_in_a_name(client):
    make_condition(name="Duchenne muscular dystrophy")
    assert found_titles(get_search(client, q="duchene")) == ["Duchenne muscular dystrophy"]


def test_type_filter_shows_one_type_with_every_count(client):
    make_therapy(name="Lymphoma therapy")
    make_condition(name="Lymphoma")
    response = get_search(client, q="lymphoma", type="conditions")
    assert found_titles(response) == ["Lymphoma"]
    counts = {item["type"].key: item["count"] for item in response.context["types"]}
    assert counts["therapies"] == 1
    assert counts["conditions"] == 1
    html = response.content.decode()
    assert 'aria-current="page">Conditions' in html
    assert "?q=lymphoma&amp;type=therapies" in html


def test_unknown_type_filter_searches_every_type(client):
    make_therapy(name="Lymphoma therapy")
    response = get_search(client, q="lymphoma", type="<script>")
    assert response.context["search_type"] is None
    assert found_titles(response) == ["Lymphoma therapy"]


def test_one_type_is_paginated_and_links_keep_the_query(client):
    for number in range(25):
        make_therapy(name=f"Myeloma therapy {number:02}")
    first = get_search(client, q="myeloma", type="therapies")
    assert len(first.context["hits"]) == 20
    assert first.context["paginator"].count == 25
    assert "?q=myeloma&amp;type=therapies&amp;page=2" in first.content.decode()
    second = get_search(client, q="myeloma", type="therapies", page=2)
    assert len(second.context["hits"]) == 5


def test_grouped_view_shows_the_best_hits_and_links_to_the_rest(client):
    for number in range(7):
        make_therapy(name=f"Myeloma therapy {number}")
    response = get_search(client, q="myeloma")
    (group,) = response.context["groups"]
    assert group["count"] == 7
    assert len(group["hits"]) == 5
    assert "All 7 therapies matching" in response.content.decode()


@pytest.mark.parametrize("page", ["99", "0", "abc", "-1"])
def test_page_out_of_range_is_not_found(client, page):
    make_therapy(name="Myeloma therapy")
    response = client.get(reverse("search"), {"q": "myeloma", "type": "therapies", "page": page})
    assert response.status_code == 404


def test_empty_query_explains_what_can_be_searched(client):
    html = get_search(client, q="   ").content.decode()
    assert "What you can search" in html
    assert reverse("therapies:therapy-list") in html


def test_no_result_state_suggests_next_steps(client):
    make_therapy(name="CAR-T therapy")
    html = get_search(client, q="xylophone").content.decode()
    assert "Nothing found" in html
    assert "Check the spelling" in html


def test_no_result_in_one_type_offers_all_types(client):
    make_therapy(name="CAR-T therapy")
    html = get_search(client, q="car-t", type="sources").content.decode()
    assert "Nothing found among sources" in html
    assert "Search all types" in html


def test_over_long_query_is_cut_with_a_notice(client):
    response = get_search(client, q="gene " * 100)
    assert len(response.context["query"]) <= search.MAX_QUERY_LENGTH
    assert response.context["query_cut"] is True
    assert "only the first 200 were used" in response.content.decode()


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE therapies_therapy; --",
    "1 OR 1=1",
    "\x00",
    "gene\x00therapy",
    "a" * 10_000,
    '"unbalanced',
    "!!! & | ( ) : * <-> \\",
    "-",
    "or",
    "\ue000marker\ue001",
    "%",
    "_",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_fail_and_reflect_no_markup(client, query):
    make_therapy(name="Gene therapy", summary="A gene therapy.")
    for params in ({"q": query}, {"q": query, "type": "therapies"}):
        response = client.get(reverse("search"), params)
        assert response.status_code == 200
        html = response.content.decode()
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "\x00" not in html


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=st.text(max_size=300), search_type=st.sampled_from(["", "therapies", "claims"]))
def test_any_query_gives_a_page_that_reflects_no_markup(client, query, search_type):
    make_therapy(name="Gene <therapy>", summary="A gene therapy & more.")
    response = client.get(reverse("search"), {"q": query, "type": search_type})
    assert response.status_code == 200
    main = response.content.decode().split("<main", 1)[1]
    # Reader-supplied text never opens a tag: only the template's own tags remain.
    assert "<therapy>" not in main
    assert "<script" not in main.lower()


def test_repeated_parameters_use_one_value_each(client):
    make_therapy(name="CAR-T therapy")
    response = client.get(reverse("search") + "?q=nothing&q=car-t&type=x&type=therapies")
    assert response.status_code == 200
    assert found_titles(response) == ["CAR-T therapy"]


# The helpers ---------------------------------------------------------------------------------


def test_clean_query_drops_control_characters_and_cuts():
    assert search.clean_query(" gene\x00 \x07therapy ") == ("gene therapy", False)
    text, cut = search.clean_query("x" * 500)
    assert (len(text), cut) == (200, True)


def test_split_marked_turns_markers_into_segments():
    marked = f"a {search.START_SEL}b{search.STOP_SEL} c {search.START_SEL}unclosed"
    assert search.split_marked(marked) == [
        ("a ", False),
        ("b", True),
        (" c ", False),
        ("unclosed", True),
    ]


def test_fallback_highlight_marks_accented_words_in_the_original_text():
    segments = search.highlight("Sant Joan de Déu, Barcelona", ["deu"])
    assert ("Déu", True) in segments
    assert "".join(text for text, _ in segments) == "Sant Joan de Déu, Barcelona"


# PostgreSQL full-text search --------------------------------------------------------------


@needs_postgresql
def test_websearch_syntax_excludes_words_and_matches_phrases(client):
    make_therapy(name="Therapy for lymphoma", summary="CAR-T cells against lymphoma.")
    make_therapy(name="Therapy for myeloma", summary="CAR-T cells against myeloma.")
    assert found_titles(get_search(client, q="car-t -lymphoma")) == ["Therapy for myeloma"]
    assert found_titles(get_search(client, q='"against myeloma"')) == ["Therapy for myeloma"]
    assert sorted(found_titles(get_search(client, q="lymphoma or myeloma"))) == [
        "Therapy for lymphoma",
        "Therapy for myeloma",
    ]


@needs_postgresql
def test_stemming_matches_other_forms_of_a_word(client):
    make_therapy(name="Therapy C", summary="It treats patients with haemophilia.")
    assert found_titles(get_search(client, q="treating patient")) == ["Therapy C"]


@needs_postgresql
def test_a_match_in_the_name_ranks_above_a_match_in_the_body(client):
    make_therapy(name="Therapy D", summary="Other.", mechanism="Mentions retinal cells.")
    make_therapy(name="Retinal therapy", summary="Other.")
    assert found_titles(get_search(client, q="retinal")) == ["Retinal therapy", "Therapy D"]


@needs_postgresql
def test_headline_marks_the_matching_words(client):
    make_condition(name="Condition E", summary="Gene therapy for the Déu syndrome in children.")
    response = get_search(client, q="deu", type="conditions")
    (hit,) = response.context["hits"]
    assert ("Déu", True) in hit.excerpt


@needs_postgresql
def test_search_conditions_are_served_by_gin_indexes():
    """The planner can use the migration's indexes, so the query's expressions match them."""
    engine = search.PostgresSearch("duchenne")
    with connection.cursor() as cursor:
        # Leave the planner only bitmap scans, which need an index matching a condition.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        for search_type in search.TYPES.values():
            # Without the status filter, so the only index that can answer is the search one;
            # unrewritten, as SearchType.published() reads (no name -> name_en).
            queryset = search_type.model.objects.all()
            if hasattr(queryset, "rewrite"):
                queryset = queryset.rewrite(False)
            plan = (
                queryset.alias(document=search_type.document())
                .filter(engine.match_condition(search_type))
                .explain()
            )
            short = search_type.model._meta.model_name[:12]
            assert f"search_{short}_document" in plan, plan
            if search_type.typo_tolerant:
                assert f"search_{short}_trgm" in plan, plan
                # And the Spanish names' (genetx/migrations/0014).
                for column in search_type.in_every_language(search_type.name_field)[1:]:
                    assert f"{search_type.model._meta.db_table}_{column}_trgm" in plan, plan


def test_terms_keep_inner_punctuation_and_drop_operators():
    assert search.terms_of('CAR-T or "Déu" -lymphoma ORPHA:98896,') == [
        "car-t",
        "deu",
        "orpha:98896",
    ]


def test_a_hyphenated_name_is_matched_whole(client):
    make_therapy(name="CAR-T therapy")
    make_source(title="Cardiology today")
    assert found_titles(get_search(client, q="CAR-T")) == ["CAR-T therapy"]


def test_hits_say_enough_to_tell_records_apart(client):
    make_therapy(name="Retina therapy", modality=make_modality(name="AAV gene addition"))
    make_institution(name="Retina Institute", kind="research_centre", city="Barcelona")
    make_claim(
        statement="Retina results were reported.",
        review_status="needs_review",
        review_note="Check the number.",
    )
    response = get_search(client, q="retina")
    meta = {hit.title: hit.meta for group in response.context["groups"] for hit in group["hits"]}
    assert meta["Retina therapy"] == "AAV gene addition"
    assert meta["Retina Institute"] == "Research centre · Barcelona, Community of Madrid, Spain"
    assert meta["Retina results were reported."] == "Needs review"


@needs_postgresql
def test_stored_search_document_follows_edits(client):
    therapy = make_therapy(name="Old name", summary="Nothing special.")
    therapy.name = "Renamed retinal therapy"
    therapy.save()
    assert found_titles(get_search(client, q="retinal")) == ["Renamed retinal therapy"]
    assert found_titles(get_search(client, q="old")) == []


# English and Spanish ------------------------------------------------------------------------


@pytest.fixture
def bilingual_world():
    make_condition(name="Haemophilia", summary="A genetic disease that affects blood clotting.")
    make_therapy(
        name="Gene therapy at La Paz",
        summary="Introduces a functional gene for the missing clotting factor in haemophilia.",
    )
    make_condition(name="Leukaemia", summary="A haematological cancer.")
    make_condition(name="Duchenne muscular dystrophy", summary="A genetic muscle disease.")
    make_condition(name="Multiple myeloma", summary="A cancer of plasma cells.")
    make_condition(name="Parkinson's disease", summary="A neurodegenerative disease.")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hemofilia", {"Haemophilia", "Gene therapy at La Paz"}),
        ("hemophilia", {"Haemophilia", "Gene therapy at La Paz"}),
        ("haemophilia", {"Haemophilia", "Gene therapy at La Paz"}),
        ("Hemofilia", {"Haemophilia", "Gene therapy at La Paz"}),
        ("leucemia", {"Leukaemia"}),
        ("leukemia", {"Leukaemia"}),
        ("leukaemia", {"Leukaemia"}),
        ("leucemias", {"Leukaemia"}),
        ("distrofia", {"Duchenne muscular dystrophy"}),
        ("dystrophy", {"Duchenne muscular dystrophy"}),
        ("distrofia muscular", {"Duchenne muscular dystrophy"}),
        ("mieloma", {"Multiple myeloma"}),
    ],
)
def test_english_and_spanish_spellings_find_the_same_records(
    client, bilingual_world, query, expected
):
    assert set(found_titles(get_search(client, q=query))) == expected


def test_spanish_search_from_the_spanish_pages(client, bilingual_world):
    response = client.get("/es/search/", {"q": "hemofilia"})
    assert response.status_code == 200
    assert set(found_titles(response)) == {"Haemophilia", "Gene therapy at La Paz"}
    assert "resultados para «hemofilia»" in response.content.decode()


def test_spelling_keys_meet_across_languages():
    assert {search.spelling_key(w) for w in ("haemophilia", "hemophilia", "hemofilia")} == {
        "hemofili"
    }
    assert {search.spelling_key(w) for w in ("Leukaemia", "leukemia", "leucemias")} == {"leucemi"}
    assert search.spelling_key("dystrophy") == search.spelling_key("distrofia") == "distrofi"
    assert search.spelling_key("lymphomas") == search.spelling_key("linfoma") == "linfoma"
    # Words that merely end in s or ia keep their stem apart from other words.
    assert search.spelling_key("class") == "class"


@needs_postgresql
def test_the_database_spells_words_as_python_does():
    """genetx_spelling() (migration 0011) and spelling_key() must agree, or PostgreSQL and
    the SQLite engine would find different records."""
    words = [
        "Haemophilia", "hemofilia", "Leukaemia", "leucemias", "dystrophy", "distrofia",
        "Lymphomas", "Oesophagus", "Thalassaemia", "Déu", "Clínica", "class", "CAR-T",
        "Parkinson's disease", "terapias génicas", "myeloma",
    ]  # fmt: skip
    with connection.cursor() as cursor:
        for word in words:
            cursor.execute("SELECT genetx_spelling(%s)", [word])
            assert cursor.fetchone()[0] == search.spelling_key(word), word


@needs_postgresql
@pytest.mark.parametrize(
    "query",
    [
        "hemofilia",
        "Haemophilia gene therapy",
        '"gene therapies" -lymphomas or myelomas',
        "terapias génicas",
        "Clínica Universidad de Navarra",
        "Ñandú's (crías) x2, 3.5%",
        "Æsir Øresund łódź",
        "straße",
    ],
)
def test_a_querys_spelling_key_is_the_databases(query):
    """A query that folds to ASCII gets its spelling key from Python, as a constant the
    planner can estimate (genetx.search._spelling_of); it must be the database's key,
    operators and punctuation included. Other text is left to the database."""
    from django.db.models.expressions import RawSQL

    key = search._spelling_of(query)
    with connection.cursor() as cursor:
        cursor.execute("SELECT genetx_spelling(%s)", [query])
        expected = cursor.fetchone()[0]
    if isinstance(key, RawSQL):
        assert not search.fold(query).isascii()
    else:
        assert key == expected


@needs_postgresql
def test_spanish_stemming_finds_other_forms_of_a_spanish_word(client):
    make_therapy(name="Terapia X", summary="Terapias génicas para enfermedades raras.")
    assert found_titles(get_search(client, q="terapia genica enfermedad")) == ["Terapia X"]


@needs_postgresql
def test_exclusions_hold_in_every_reading_of_the_query(client):
    make_therapy(name="Therapy for lymphoma", summary="CAR-T cells against lymphoma.")
    make_therapy(name="Therapy for myeloma", summary="CAR-T cells against myeloma.")
    assert found_titles(get_search(client, q="car-t -linfoma")) == ["Therapy for myeloma"]
