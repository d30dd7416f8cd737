"""The source and claim lists and detail pages, and the per-source downloads."""

import datetime
import json
import re

import bibtexparser
import pytest
import rispy
from django.urls import reverse

from genetx.models import Status
from sources.models import Author, Claim, Source
from tests.factories import (
    make_claim,
    make_decision,
    make_figure,
    make_source,
    make_therapy,
)
from tests.pages_helpers import (
    HOSTILE_VALUES,
    assert_no_reflected_markup,
    has_option,
    marker_targets,
    staff_with_change_permission,
)

pytestmark = pytest.mark.django_db

SOURCE_LIST = reverse("sources:source-list")
CLAIM_LIST = reverse("sources:claim-list")
LIST_PARAMS = {
    SOURCE_LIST: ["q", "kind", "year", "language", "journal", "sort", "page", "format"],
    CLAIM_LIST: ["q", "review", "therapy", "measure", "figures", "sort", "page", "format"],
}
DOI = "10.1016/j.medcli.2021.10.005"


def catala():
    return make_source(
        key="catala-2022",
        authors=[("Catalá", "Elena"), ("Iacoboni", "Gloria"), ("Barba", "Pere")],
        title="Therapy with T lymphocytes with chimeric antigen receptor (CAR-T)",
        container_title="Medicina Clínica",
        volume="158",
        issue="7",
        pages="327-332",
        doi=DOI,
        language="es",
    )


def test_source_list_filters_by_kind_year_language_and_journal(client):
    catala()
    make_source(
        title="A news story",
        kind="news_article",
        container_title="Medicina Responsable",
        issued=datetime.date(2023, 7, 5),
        issued_precision="day",
        language="es",
    )
    make_source(title="Draft source", status=Status.DRAFT)
    body = client.get(SOURCE_LIST).content.decode()
    assert "Draft source" not in body
    assert has_option(body, "2022", "2022", 1)
    assert has_option(body, "news_article", "News article", 1)
    for params in (
        {"kind": "journal_article"},
        {"year": "2022"},
        {"journal": "Medicina Clínica"},
        {"q": "Catalá"},
    ):
        body = client.get(SOURCE_LIST, params).content.decode()
        assert "chimeric antigen receptor" in body, params
        assert "A news story" not in body, params
    body = client.get(SOURCE_LIST, {"language": "es"}).content.decode()
    assert "chimeric antigen receptor" in body and "A news story" in body


# "²" and "¹⁹⁹⁹" are digits to str.isdigit() but not numbers to int() (found by the
# hostile-input fuzzing: a 500); "١٩٩٩" (Arabic-Indic) int() would read as 1999.
@pytest.mark.parametrize(
    "year", ["abc", "99999999999999999999", "1200", "2022.5", "²", "¹⁹⁹⁹", "١٩٩٩"]
)
def test_invalid_year_filter_shows_error(client, year):
    response = client.get(SOURCE_LIST, {"year": year})
    assert response.status_code == 400
    assert "Some filters could not be used" in response.content.decode()


@pytest.mark.parametrize("url", list(LIST_PARAMS))
@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_query_strings_never_give_500_or_reflect_markup(client, url, value):
    make_claim(therapy=make_therapy(), measure="requests")
    for param in LIST_PARAMS[url]:
        response = client.get(url, {param: value})
        assert response.status_code in {200, 400, 404}, (param, value)
        assert_no_reflected_markup(response)


def test_source_exports_have_published_rows_only(client):
    catala()
    make_source(title="Draft source", status=Status.DRAFT)
    data = json.loads(client.get(SOURCE_LIST, {"format": "json"}).getvalue())
    assert [row["key"] for row in data["results"]] == ["catala-2022"]
    assert data["results"][0]["doi"] == DOI
    assert data["results"][0]["reference"].startswith("Catalá, E., Iacoboni, G., & Barba, P.")
    csv_text = client.get(SOURCE_LIST, {"format": "csv"}).getvalue().decode()
    assert "catala-2022" in csv_text and "Draft source" not in csv_text


def test_source_detail_shows_reference_doi_authors_cited_by_and_downloads(client):
    source = catala()
    therapy = make_therapy(name="CAR-T therapy")
    make_claim(therapy=therapy, sources=[source], statement="CAR-T changed lymphoma care.")
    make_claim(sources=[source], statement="A draft claim.", status=Status.DRAFT)
    make_decision(therapy=therapy, source=source)
    response = client.get(source.get_absolute_url())
    body = response.content.decode()
    assert f'<a href="https://doi.org/{DOI}" rel="external">https://doi.org/{DOI}</a>' in body
    assert body.index("Elena Catalá") < body.index("Gloria Iacoboni") < body.index("Pere Barba")
    assert "<i>Medicina Clínica</i>, <i>158</i>(7), 327–332." in body
    cited_by = body[body.index("Cited by") :]
    assert "CAR-T changed lymphoma care." in cited_by
    assert "A draft claim." not in body
    assert "approval of" in cited_by and f'href="{therapy.get_absolute_url()}"' in cited_by
    assert marker_targets(body) == ["ref-1"]
    for name in ("source-bibtex", "source-ris", "source-csl"):
        assert f'href="{reverse(f"sources:{name}", kwargs={"key": source.key})}"' in body
    assert '<meta name="citation_title" content="Therapy with T lymphocytes' in body
    assert '<meta name="citation_author" content="Catalá, Elena">' in body
    assert '<meta name="citation_doi" content="10.1016/j.medcli.2021.10.005">' in body
    assert '<meta name="citation_journal_title" content="Medicina Clínica">' in body
    assert '<meta name="citation_publication_date" content="2022">' in body
    assert '"@type": "ScholarlyArticle"' in body


def test_source_with_url_links_it(client):
    source = make_source(kind="news_article", url="https://medicinaresponsable.com/x")
    body = client.get(source.get_absolute_url()).content.decode()
    assert '<a href="https://medicinaresponsable.com/x" rel="external">' in body
    assert '"@type": "NewsArticle"' in body


def test_downloads_parse_back(client):
    source = catala()
    bib = client.get(reverse("sources:source-bibtex", kwargs={"key": source.key}))
    assert bib["Content-Type"].startswith("application/x-bibtex")
    entry = bibtexparser.parse_string(bib.content.decode()).entries[0]
    assert entry["doi"] == DOI and entry["ID"] == "catala-2022"
    ris = client.get(reverse("sources:source-ris", kwargs={"key": source.key}))
    (record,) = rispy.loads(ris.content.decode())
    assert record["doi"] == DOI
    assert record["authors"][0] == "Catalá, Elena"
    csl = client.get(reverse("sources:source-csl", kwargs={"key": source.key}))
    (item,) = json.loads(csl.content.decode())
    assert item["DOI"] == DOI and item["author"][2] == {"family": "Barba", "given": "Pere"}


def test_attribution_page_says_not_fully_referenced_and_links_the_reporter(client):
    article = make_source(kind="web_article", title="Gene Therapies: Revolutionizing Disease")
    Author.objects.create(source=article, position=1, literal="Sermes CRO")
    lancet = make_source(
        kind="attribution",
        title="",
        container_title="The Lancet",
        reported_by=article,
        issued=None,
        issued_precision="",
    )
    body = client.get(lancet.get_absolute_url()).content.decode()
    assert "Not fully referenced" in body
    assert f'as reported by <a href="{article.get_absolute_url()}">Sermes CRO (2022)</a>' in body
    assert "citation_title" not in body
    reporter = client.get(article.get_absolute_url()).content.decode()
    assert f'href="{lancet.get_absolute_url()}"' in reporter


def test_draft_source_and_its_downloads_are_404_and_previewable_by_staff(client):
    draft = make_source(status=Status.DRAFT)
    bib_url = reverse("sources:source-bibtex", kwargs={"key": draft.key})
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(bib_url).status_code == 404
    client.force_login(staff_with_change_permission(Source))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "Draft — not public" in response.content.decode()


def test_claim_list_filters_by_review_status_therapy_and_measure(client):
    therapy = make_therapy(name="CAR-T", slug="car-t")
    make_claim(statement="Verified statement.", therapy=therapy)
    make_claim(
        statement="Flagged statement.",
        review_status="needs_review",
        review_note="Odd venue.",
        measure="requests",
    )
    make_claim(statement="Draft statement.", status=Status.DRAFT)
    body = client.get(CLAIM_LIST).content.decode()
    assert "Draft statement." not in body
    assert has_option(body, "needs_review", "Needs review", 1)
    assert has_option(body, "verified", "Verified", 1)
    body = client.get(CLAIM_LIST, {"review": "needs_review"}).content.decode()
    assert "Flagged statement." in body and "Verified statement." not in body
    assert "Odd venue." in body
    body = client.get(CLAIM_LIST, {"therapy": "car-t"}).content.decode()
    assert "Verified statement." in body and "Flagged statement." not in body
    body = client.get(CLAIM_LIST, {"measure": "requests"}).content.decode()
    assert "Flagged statement." in body and "Verified statement." not in body
    assert client.get(CLAIM_LIST, {"review": "bogus"}).status_code == 400


def test_claim_list_markers_link_to_its_reference_list(client):
    shared = make_source(title="Shared source")
    make_claim(sources=[shared])
    make_claim(sources=[shared, make_source(title="Second")])
    body = client.get(CLAIM_LIST).content.decode()
    assert sorted(set(marker_targets(body))) == ["ref-1", "ref-2"]
    assert body.count('<li id="ref-') == 2


def test_each_reference_links_back_to_every_place_it_is_cited(client):
    """The back-links under a reference: one per citation, numbered from 1 for each source,
    each to a marker on the page, with a label read aloud in the page's language."""
    shared = make_source(title="Shared source")
    make_claim(sources=[shared])
    make_claim(sources=[shared, make_source(title="Second")])
    for url, label in ((CLAIM_LIST, "back to citation"), ("/es" + CLAIM_LIST, "volver a la cita")):
        body = client.get(url).content.decode()
        backlinks = re.findall(
            r'<a href="#(cite-[0-9-]+)"><span aria-hidden="true">↑</span>'
            r'<span class="visually-hidden">([^<]+) </span>([0-9]+)</a>',
            body,
        )
        assert [(anchor, number) for anchor, _, number in backlinks] == [
            ("cite-1-1", "1"),
            ("cite-1-2", "2"),
            ("cite-2-1", "1"),
        ]
        assert {text for _, text, _ in backlinks} == {label}
        for anchor, _, _ in backlinks:
            assert f'id="{anchor}"' in body


def test_each_reference_says_its_kind_of_evidence_and_links_to_its_source(client):
    """A reference's entry (sources.references.reference_items_html): the APA text
    escaped, the kind of evidence, the source's page and the back-links, in the page's
    language."""
    source = make_source(title="<script>alert(1)</script> trial", key="hostile-key")
    make_claim(sources=[source])
    for prefix, evidence, about, cited in (
        ("", "Evidence: Peer-reviewed journal article.", "About this source", "Cited at:"),
        ("/es", "Evidencia: ", "Sobre esta fuente", "Citada en:"),
    ):
        body = client.get(prefix + CLAIM_LIST).content.decode()
        (entry,) = re.findall(r'<li id="ref-1" value="1">(.*?)</li>', body, re.S)
        assert "<script>" not in entry and "&lt;script&gt;" in entry
        assert f'<span class="evidence-kind">{evidence}' in entry
        assert f'<a href="{prefix}/sources/hostile-key/">{about}</a> · {cited}' in entry
        assert '<a href="#cite-1-1">' in entry


def test_a_marker_names_its_reference_and_where_in_the_source(client):
    """Markers (sources.references.markers_html): [n] linking to the reference, its own
    id for the back-link, the locator as an escaped title, none without one."""
    first, second = make_source(title="First"), make_source(title="Second")
    claim = make_claim(sources=[first, second])
    claim.citations.filter(source=first).update(locator='p. 3" onmouseover="alert(1)')
    body = client.get(CLAIM_LIST).content.decode()
    assert (
        '<sup class="ref-marker" id="cite-1-1"><a href="#ref-1" '
        'title="p. 3&quot; onmouseover=&quot;alert(1)">[1]</a></sup>'
        '<sup class="ref-marker" id="cite-2-1"><a href="#ref-2">[2]</a></sup>'
    ) in body


def test_claim_exports_have_published_rows_only(client):
    make_figure(value=85.5, unit="percent", statement="Approved share.")
    make_claim(statement="Draft claim.", status=Status.DRAFT)
    data = json.loads(client.get(CLAIM_LIST, {"format": "json"}).getvalue())
    assert [row["statement"] for row in data["results"]] == ["Approved share."]
    assert data["results"][0]["figure"] == "85.5%"


def test_claim_detail_shows_statement_figure_sources_and_history(client):
    source = make_source(title="Ministry report")
    newer = make_figure(
        value=2500,
        statement="CAR-T requests.",
        measure="requests",
        sources=[source],
        as_of=datetime.date(2024, 1, 1),
        as_of_precision="year",
    )
    older = make_figure(
        value=1859,
        statement="CAR-T requests, earlier.",
        measure="requests",
        superseded_by=newer,
        review_status="superseded",
        as_of=datetime.date(2023, 1, 1),
        as_of_precision="year",
    )
    body = client.get(newer.get_absolute_url()).content.decode()
    assert "2,500" in body and "CAR-T requests." in body and "Ministry report" in body
    assert "Earlier figures this one replaces" in body and "1,859" in body
    assert set(marker_targets(body)) == {"ref-1", "ref-2"}
    old_body = client.get(older.get_absolute_url()).content.decode()
    assert "Superseded by a newer figure" in old_body
    assert f'href="{newer.get_absolute_url()}"' in old_body


def test_draft_claim_is_404_and_previewable_by_staff(client):
    draft = make_claim(status=Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(staff_with_change_permission(Claim))
    assert "Draft — not public" in client.get(draft.get_absolute_url()).content.decode()


def test_claim_list_offers_the_figures_filter(client):
    make_figure(value=67, unit="percent", statement="A figure.")
    make_claim(statement="A plain statement.")
    body = client.get(CLAIM_LIST).content.decode()
    assert '<label for="f-figures">Figures</label>' in body
    assert '<option value="yes">Figures only</option>' in body
    body = client.get(CLAIM_LIST, {"figures": "yes"}).content.decode()
    assert "A figure." in body and "A plain statement." not in body
    assert '<option value="yes" selected>Figures only</option>' in body


def test_year_facet_lists_the_newest_year_first(client):
    for year in (2019, 2025, 2022):
        make_source(issued=datetime.date(year, 1, 1), issued_precision="year")
    body = client.get(SOURCE_LIST).content.decode()
    assert body.index('value="2025"') < body.index('value="2022"') < body.index('value="2019"')


def test_source_detail_lists_the_first_citing_claims_with_the_total_and_a_link(client, monkeypatch):
    from sources.views import SourceDetailView

    monkeypatch.setattr(SourceDetailView, "cited_by_limit", 2)
    source = make_source(key="much-cited")
    for number in range(3):
        make_claim(statement=f"Citing claim {number}.", sources=[source])
    make_claim(statement="Draft citing claim.", sources=[source], status=Status.DRAFT)
    response = client.get(source.get_absolute_url())
    assert response.context["cited_by_shown"] == 2
    assert response.context["cited_by_count"] == 3
    html = response.content.decode()
    assert "3 published claims cite this source; the first 2 are shown." in html
    assert f'href="{CLAIM_LIST}?source=much-cited"' in html


def test_source_detail_with_few_citing_claims_has_no_link_to_more(client):
    source = make_source(key="once-cited")
    make_claim(statement="The only citing claim.", sources=[source])
    html = client.get(source.get_absolute_url()).content.decode()
    assert "The only citing claim." in html
    assert "?source=once-cited" not in html


def test_claim_list_filtered_by_source_lists_the_claims_citing_it(client):
    source = make_source(key="the-source")
    other = make_source(key="other-source")
    make_claim(statement="Cites the source.", sources=[source, other])
    make_claim(statement="Cites another.", sources=[other])
    response = client.get(CLAIM_LIST, {"source": "the-source", "page": "1"})
    assert response.status_code == 200
    assert [claim.statement for claim in response.context["object_list"]] == ["Cites the source."]


def test_claim_list_filtered_by_an_unpublished_or_unknown_source_is_empty(client):
    draft = make_source(key="draft-source", status=Status.DRAFT)
    make_claim(statement="Cites a draft.", sources=[draft])
    for key in ("draft-source", "no-such-source"):
        response = client.get(CLAIM_LIST, {"source": key})
        assert response.status_code == 200
        assert list(response.context["object_list"]) == []
