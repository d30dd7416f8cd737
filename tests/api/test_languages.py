"""The API in English and Spanish: `?lang=` or Accept-Language chooses, every answer says
which (Content-Language, Vary), untranslated text falls back to English, caches and ETags
keep the languages apart, and a bad `lang` is a JSON 400."""

import time

import pytest

from genetx.cache import CHANGED_AT_KEY
from tests.factories import make_condition, make_figure, make_therapy, make_trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def records():
    """One therapy translated, one not; content last changed two seconds ago."""
    from django.core.cache import cache

    translated = make_therapy(slug="gene", name="Gene therapy", summary="In English.")
    translated.name_es = "Terapia génica"
    translated.summary_es = "En español."
    translated.save()
    make_therapy(slug="plain", name="Plain therapy", summary="Only English.")
    cache.set(CHANGED_AT_KEY, time.time() - 2, timeout=None)


def get(client, path, **headers):
    return client.get(path, headers=headers)


def test_lang_es_gives_spanish_text_and_says_so(client, records):
    response = client.get("/api/v1/therapies/gene?lang=es")
    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    assert "Accept-Language" in response["Vary"]
    body = response.json()
    assert (body["name"], body["summary"]) == ("Terapia génica", "En español.")


def test_a_record_without_spanish_falls_back_to_english(client, records):
    response = client.get("/api/v1/therapies/plain?lang=es")
    assert response["Content-Language"] == "es"
    assert (response.json()["name"], response.json()["summary"]) == (
        "Plain therapy",
        "Only English.",
    )


def test_english_is_the_default(client, records):
    response = client.get("/api/v1/therapies/gene")
    assert response["Content-Language"] == "en"
    assert response.json()["name"] == "Gene therapy"


@pytest.mark.parametrize(
    "header, language",
    [
        ("es", "es"),
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("es-419", "es"),
        ("fr-FR, es;q=0.5", "es"),
        ("en-GB,en;q=0.9,es;q=0.8", "en"),
        ("fr", "en"),
        ("*", "en"),
        ("", "en"),
        ("es;q=garbage,,;;", "en"),
        ("x" * 5000, "en"),
    ],
)
def test_accept_language_chooses_when_lang_is_absent(client, records, header, language):
    response = get(client, "/api/v1/therapies/gene", **{"Accept-Language": header})
    assert response.status_code == 200
    assert response["Content-Language"] == language
    expected = {"es": "Terapia génica", "en": "Gene therapy"}[language]
    assert response.json()["name"] == expected


def test_lang_wins_over_accept_language(client, records):
    english = get(client, "/api/v1/therapies/gene?lang=en", **{"Accept-Language": "es"})
    assert english["Content-Language"] == "en" and english.json()["name"] == "Gene therapy"
    spanish = get(client, "/api/v1/therapies/gene?lang=es", **{"Accept-Language": "en"})
    assert spanish["Content-Language"] == "es" and spanish.json()["name"] == "Terapia génica"


@pytest.mark.parametrize(
    "query",
    [
        "lang=fr",
        "lang=ES",
        "lang=es-ES",
        "lang=%C3%A9s",
        "lang=es%00",
        "lang=<script>alert(1)</script>",
        "lang=" + "e" * 10_000,
        "lang=es&lang=en",
        "lang[]=es&lang=..%2F..%2Fetc",
    ],
)
def test_an_unknown_lang_is_a_json_400_never_a_500(client, records, query, settings):
    settings.PAGE_CACHE_ENABLED = True
    for path in ("/api/v1/therapies", "/api/v1/therapies/gene", "/api/v1/search?q=gene"):
        separator = "&" if "?" in path else "?"
        response = client.get(f"{path}{separator}{query}")
        assert response.status_code == 400, (path, query)
        assert response["Content-Type"] == "application/json"
        assert response["Content-Language"] == "en"
        body = response.json()
        assert body["detail"] == "Invalid parameters."
        assert list(body["errors"]) == ["lang"]
        # The refused value is not echoed back.
        assert "script" not in response.content.decode()


def test_an_empty_lang_is_refused_like_any_unknown_one(client, records):
    response = get(client, "/api/v1/therapies/gene?lang=", **{"Accept-Language": "es"})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["lang"]


def test_lists_search_and_nested_records_follow_the_language(client, records):
    rows = client.get("/api/v1/therapies?lang=es").json()["results"]
    assert {row["slug"]: row["name"] for row in rows} == {
        "gene": "Terapia génica",
        "plain": "Plain therapy",
    }
    # An English word finds the record in a Spanish answer, titled in Spanish.
    hits = client.get("/api/v1/search?q=gene&lang=es").json()["results"]
    assert "Terapia génica" in [hit["title"] for hit in hits]
    hits = client.get("/api/v1/search?q=terapia").json()["results"]
    assert "Gene therapy" in [hit["title"] for hit in hits]
    condition = make_condition(slug="dmd", name="Duchenne muscular dystrophy")
    condition.name_es = "Distrofia muscular de Duchenne"
    condition.save()
    therapy = make_therapy(slug="elevidys", name="Elevidys", conditions=[condition])
    trial = make_trial(slug="embark", acronym="EMBARK", title="[Phase 3 trial]")
    trial.title_es = "[Ensayo de fase 3]"
    trial.save()
    trial.therapies.set([therapy])
    claim = make_figure(value=1, slug="figure", therapy=therapy, measure="m", measure_name="A")
    claim.measure_name_es = "Una medida"
    claim.save()
    detail = client.get("/api/v1/therapies/elevidys?lang=es").json()
    assert [c["name"] for c in detail["conditions"]] == ["Distrofia muscular de Duchenne"]
    assert client.get("/api/v1/trials/embark?lang=es").json()["title"] == "[Ensayo de fase 3]"
    assert client.get("/api/v1/trials/embark").json()["title"] == "[Phase 3 trial]"
    assert client.get("/api/v1/claims/figure?lang=es").json()["measure_name"] == "Una medida"


def test_q_finds_a_record_by_its_text_in_either_language(client, records):
    for lang in ("en", "es"):
        for word in ("génica", "Gene therapy"):
            rows = client.get("/api/v1/therapies", {"q": word, "lang": lang}).json()["results"]
            assert [row["slug"] for row in rows] == ["gene"], (lang, word)


def test_sorts_and_cursors_are_the_same_in_every_language(client):
    # Spanish names that would sort the other way round, and one with none at all.
    for slug, english, spanish in [
        ("a", "Alpha", "Zeta"),
        ("b", "Beta", None),
        ("c", "Gamma", "Alfa"),
    ]:
        therapy = make_therapy(slug=slug, name=english)
        therapy.name_es = spanish
        therapy.save()

    def walk(lang, switch_to=None):
        slugs, url = [], f"/api/v1/therapies?sort=name&limit=1&lang={lang}"
        while url:
            body = client.get(url).json()
            slugs += [row["slug"] for row in body["results"]]
            url = body["next"]
            if url and switch_to:
                url = url.replace(f"lang={lang}", f"lang={switch_to}")
        return slugs

    assert walk("en") == walk("es") == walk("es", switch_to="en") == ["a", "b", "c"]


# Caches and validators -----------------------------------------------------------------------


@pytest.mark.parametrize("page_cache", [True, False])
def test_an_english_answer_is_never_served_for_spanish(client, records, settings, page_cache):
    settings.PAGE_CACHE_ENABLED = page_cache
    path = "/api/v1/therapies/gene"
    for _ in range(2):  # the second round is served from the page cache when it is on
        english = client.get(path)
        by_lang = client.get(path + "?lang=es")
        by_header = get(client, path, **{"Accept-Language": "es"})
        assert english.json()["name"] == "Gene therapy"
        assert by_lang.json()["name"] == by_header.json()["name"] == "Terapia génica"
        assert english["Content-Language"] == "en"
        assert by_lang["Content-Language"] == by_header["Content-Language"] == "es"
        assert english["ETag"] != by_lang["ETag"]
        assert english["ETag"] != by_header["ETag"]


def test_spanish_answers_are_cached_too(client, records, settings, django_assert_num_queries):
    settings.PAGE_CACHE_ENABLED = True
    for path, headers in [
        ("/api/v1/therapies/gene?lang=es", {}),
        ("/api/v1/therapies/gene", {"Accept-Language": "es-ES"}),
    ]:
        first = get(client, path, **headers)
        with django_assert_num_queries(0):
            again = get(client, path, **headers)
        assert again.content == first.content and again["Content-Language"] == "es"


@pytest.mark.parametrize("page_cache", [True, False])
def test_an_etag_of_one_language_gets_no_304_in_another(client, records, settings, page_cache):
    settings.PAGE_CACHE_ENABLED = page_cache
    # "plain" has no Spanish text: the same body in both languages, still not the same answer.
    for slug in ("gene", "plain"):
        path = f"/api/v1/therapies/{slug}"
        english = client.get(path)
        spanish = client.get(path + "?lang=es")
        assert english["ETag"] != spanish["ETag"]
        stale = get(client, path + "?lang=es", **{"If-None-Match": english["ETag"]})
        assert stale.status_code == 200
        assert (
            get(client, path, **{"If-None-Match": english["ETag"], "Accept-Language": "es"})
        ).status_code == 200
        not_modified = get(client, path + "?lang=es", **{"If-None-Match": spanish["ETag"]})
        assert not_modified.status_code == 304
        assert not_modified["Content-Language"] == "es"
        assert "Accept-Language" in not_modified["Vary"]
        assert get(client, path, **{"If-None-Match": english["ETag"]}).status_code == 304


def test_the_description_documents_lang_on_every_operation(client):
    document = client.get("/api/v1/openapi.json?lang=es")
    # The description itself exists in English only.
    assert document["Content-Language"] == "en"
    spec = document.json()
    assert "`lang` wins" in spec["info"]["description"]
    assert "Accept-Language" in spec["info"]["description"]
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            lang = [p for p in operation.get("parameters", []) if p["name"] == "lang"]
            assert len(lang) == 1, path
            assert lang[0]["in"] == "query"
            assert "Accept-Language" in lang[0]["description"]
            assert lang[0]["schema"]["anyOf"][0]["enum"] == ["en", "es"]
