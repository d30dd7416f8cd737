"""Search finds what readers copy from references: authors, DOIs, trial numbers, typos.

Every test runs on the database the suite runs on: CI runs them on SQLite (the fallback
engine) and on PostgreSQL (full-text search).
"""

import pytest
from django.db import connection
from django.urls import reverse

from sources.models import Author
from tests.factories import make_claim, make_source, make_therapy

pytestmark = pytest.mark.django_db


def titles(client, query, kind=None) -> list[str]:
    params = {"q": query} | ({"type": kind} if kind else {})
    response = client.get(reverse("search"), params)
    assert response.status_code == 200
    hits = [hit for group in response.context["groups"] for hit in group["hits"]]
    return sorted(hit.title for hit in hits + list(response.context["hits"]))


@pytest.fixture
def references():
    make_source(
        title="CAR-T in aggressive B-cell lymphoma",
        authors=[("Catalá", "E."), ("Iacoboni", "G."), ("Barba", "P.")],
        doi="10.1016/j.medcli.2021.10.005",
    )
    make_source(
        title="Fractionated initial infusion of ARI0002h",
        authors=[("Oliver-Caldés", "A.")],
        doi="10.1016/s1470-2045(23)00222-x",
        pmid="37414060",
    )
    make_source(title="A new Spanish CAR-T therapy", authors=[("Puerto", "G.")])
    make_source(title="Unrelated study", authors=[("Smith", "J.")], doi="10.1038/nature1")


@pytest.mark.parametrize(
    "query,expected",
    [
        ("Iacoboni", ["CAR-T in aggressive B-cell lymphoma"]),
        ("Puerto", ["A new Spanish CAR-T therapy"]),
        ("catala", ["CAR-T in aggressive B-cell lymphoma"]),
        (
            "10.1016",
            ["CAR-T in aggressive B-cell lymphoma", "Fractionated initial infusion of ARI0002h"],
        ),
        ("10.1016/j.medcli.2021.10.005", ["CAR-T in aggressive B-cell lymphoma"]),
        (
            "https://doi.org/10.1016/S1470-2045(23)00222-X",
            ["Fractionated initial infusion of ARI0002h"],
        ),
        ("doi:10.1038/NATURE1", ["Unrelated study"]),
        ("37414060", ["Fractionated initial infusion of ARI0002h"]),
        ("PMID 37414060", ["Fractionated initial infusion of ARI0002h"]),
        ("pmid:37414060", ["Fractionated initial infusion of ARI0002h"]),
    ],
)
def test_sources_are_found_by_author_doi_and_pmid(client, references, query, expected):
    assert titles(client, query, "sources") == expected


def test_an_author_and_a_doi_prefix_find_nothing_else(client, references):
    make_therapy(name="Puerto Rico therapy")  # a therapy may still match by its words
    assert "Unrelated study" not in titles(client, "Puerto")
    assert titles(client, "10.9999", "sources") == []


def test_organisation_authors_are_found_by_a_word_of_their_name(client):
    source = make_source(title="Gene Therapies: Revolutionizing Disease Treatment")
    Author.objects.create(source=source, position=1, literal="Sermes CRO")
    assert titles(client, "sermes", "sources") == [
        "Gene Therapies: Revolutionizing Disease Treatment"
    ]


def test_trial_numbers_find_the_claims_that_name_them(client):
    make_claim(statement="Complete remission in the CARTBCMA-HCB-01 trial (NCT04309981).")
    make_claim(statement="Another trial.")
    assert titles(client, "NCT04309981") == [
        "Complete remission in the CARTBCMA-HCB-01 trial (NCT04309981)."
    ]


def test_a_typo_in_a_summary_word_finds_the_therapy(client):
    make_therapy(
        name="Elevidys",
        summary="The first gene therapy approved for Duchenne muscular dystrophy.",
    )
    make_therapy(name="Unrelated", summary="A therapy for haemophilia.")
    assert titles(client, "duchene", "therapies") == ["Elevidys"]


def test_help_text_promises_only_what_the_engine_supports(client):
    body = client.get(reverse("search")).content.decode()
    if connection.vendor == "postgresql":
        assert "Use quotes for a phrase" in body
    else:
        assert "quotes, <code>or</code> and minus signs are not supported" in body
    assert "Iacoboni" in body and "10.1016" in body


@pytest.mark.parametrize("query", ["10.", "10.1016/" + "x" * 190, "doi:", "-", "a b c", "%_"])
def test_odd_reference_like_queries_never_fail(client, references, query):
    assert client.get(reverse("search"), {"q": query}).status_code == 200


def test_source_page_and_exports_carry_the_pmid(client, references):
    from sources.models import Source

    source = Source.objects.get(pmid="37414060")
    body = client.get(source.get_absolute_url()).content.decode()
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/37414060/"' in body
    assert "pmid = {37414060}" in client.get(f"/sources/{source.key}.bib").content.decode()
    assert client.get(f"/sources/{source.key}.json").json()[0]["PMID"] == "37414060"


def test_a_malformed_pmid_is_a_clear_form_error(references):
    from django.core.exceptions import ValidationError

    source = make_source()
    source.pmid = "PMID123"
    with pytest.raises(ValidationError) as error:
        source.full_clean()
    assert "A PubMed id is a number" in str(error.value)
