"""A page's whole numbered reference list as one BibTeX or RIS file."""

import bibtexparser
import pytest
import rispy

from genetx.models import Status
from tests.factories import (
    make_claim,
    make_condition,
    make_decision,
    make_institution,
    make_programme,
    make_source,
    make_therapy,
)

pytestmark = pytest.mark.django_db

DRAFT = {"status": Status.DRAFT, "published_at": None}


@pytest.fixture
def therapy_page():
    therapy = make_therapy(slug="ari0002h", name="ARI0002h")
    decision_source = make_source(key="aemps-2021", title="Hospital exemption")
    article = make_source(
        key="catala-2022", title="Outcomes", authors=[("Catalá", "Elena"), ("Barba", "Pere")]
    )
    news = make_source(key="infosalus-2024", kind="news_article", title="News")
    hidden = make_source(key="draft-source", **DRAFT)
    make_decision(therapy=therapy, source=decision_source)
    make_claim(therapy=therapy, sources=[article, news])
    make_claim(therapy=therapy, sources=[news, article, hidden])
    return therapy


def download(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status
    return response


def test_therapy_page_links_its_reference_list_downloads(client, therapy_page):
    page = client.get("/therapies/ari0002h/").content.decode()
    assert "Download all references" in page
    assert 'href="/therapies/ari0002h/references.bib"' in page
    assert 'href="/therapies/ari0002h/references.ris"' in page


def test_bibtex_holds_the_pages_references_in_its_numbering(client, therapy_page):
    response = download(client, "/therapies/ari0002h/references.bib")
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert 'filename="ari0002h-references.bib"' in response["Content-Disposition"]
    library = bibtexparser.parse_string(response.content.decode())
    assert library.failed_blocks == []
    # [1] the decision's source, then the claims' sources in order of first citation.
    assert [entry.key for entry in library.entries] == [
        "aemps-2021",
        "catala-2022",
        "infosalus-2024",
    ]
    assert "Catalá, Elena and Barba, Pere" in library.entries[1]["author"]


def test_ris_holds_one_record_per_reference_and_nothing_else(client, therapy_page):
    response = download(client, "/therapies/ari0002h/references.ris")
    text = response.content.decode()
    assert text.startswith("TY  - ")  # no stray numbering line before the first record
    records = rispy.loads(text)
    assert [record["id"] for record in records] == ["aemps-2021", "catala-2022", "infosalus-2024"]
    assert records[2]["type_of_reference"] == "NEWS"


def test_condition_and_institution_pages_download_their_references(client):
    condition = make_condition(slug="dmd")
    institution = make_institution(slug="clinic")
    source = make_source(key="study-1")
    make_claim(condition=condition, sources=[source])
    programme = make_programme(institution=institution, therapy=make_therapy())
    make_claim(programme=programme, sources=[make_source(key="study-2")])
    bib = download(client, "/conditions/dmd/references.bib").content.decode()
    assert [e.key for e in bibtexparser.parse_string(bib).entries] == ["study-1"]
    ris = download(client, "/institutions/clinic/references.ris").content.decode()
    assert [r["id"] for r in rispy.loads(ris)] == ["study-2"]
    assert "references.bib" in client.get("/institutions/clinic/").content.decode()


def test_a_page_without_references_offers_no_download(client):
    make_therapy(slug="plain")
    assert "Download all references" not in client.get("/therapies/plain/").content.decode()
    # The address still answers, with an empty file, rather than an error.
    assert download(client, "/therapies/plain/references.bib").content.strip() == b""


def test_a_drafts_references_are_not_served(client):
    therapy = make_therapy(slug="secret", **DRAFT)
    make_claim(therapy=therapy)
    download(client, "/therapies/secret/references.bib", status=404)
    download(client, "/therapies/secret/references.ris", status=404)
    download(client, "/conditions/no-such-condition/references.ris", status=404)
