"""APA 7 references, BibTeX, RIS and CSL-JSON as written by sources.citations."""

import datetime
import json

import bibtexparser
import pytest
import rispy

from sources import citations
from sources.models import Author
from tests.factories import make_source

pytestmark = pytest.mark.django_db


def catala():
    return make_source(
        key="catala-2022",
        authors=[("Catalá", "Elena"), ("Iacoboni", "Gloria"), ("Barba", "Pere")],
        title="Therapy with T lymphocytes with chimeric antigen receptor (CAR-T)",
        container_title="Medicina Clínica",
        volume="158",
        issue="7",
        pages="327-332",
        doi="10.1016/j.medcli.2021.10.005",
        language="es",
    )


def fda():
    source = make_source(
        kind="press_release",
        title="FDA approves the first gene therapy for Duchenne muscular dystrophy",
        container_title="",
        publisher="U.S. Food and Drug Administration",
        issued=datetime.date(2023, 6, 22),
        issued_precision="day",
        url="https://www.fda.gov/news-events/example",
    )
    Author.objects.create(source=source, position=1, literal="U.S. Food and Drug Administration")
    return source


def test_apa_journal_article_with_three_authors_volume_issue_pages_and_doi():
    assert citations.apa_text(catala()) == (
        "Catalá, E., Iacoboni, G., & Barba, P. (2022). Therapy with T lymphocytes with "
        "chimeric antigen receptor (CAR-T). Medicina Clínica, 158(7), 327\u2013332. "
        "https://doi.org/10.1016/j.medcli.2021.10.005"
    )


def test_apa_html_italicises_journal_and_volume_and_links_the_doi():
    html = str(citations.apa_html(catala()))
    assert "<i>Medicina Clínica</i>, <i>158</i>(7)" in html
    doi = "https://doi.org/10.1016/j.medcli.2021.10.005"
    assert f'<a href="{doi}">{doi}</a>' in html


def test_apa_one_and_two_authors():
    assert citations.apa_authors(make_source(authors=[("Puerto", "Gabriel")])) == "Puerto, G."
    two = make_source(authors=[("Oliver", "Aina"), ("Caldés", "Jean-Pierre")])
    assert citations.apa_authors(two) == "Oliver, A., & Caldés, J.-P."


def test_apa_more_than_twenty_authors_uses_the_ellipsis():
    source = make_source(authors=[(f"Name{i}", "A") for i in range(1, 23)])
    text = citations.apa_authors(source)
    assert text.startswith("Name1, A., Name2, A.")
    assert ", . . . Name22, A." in text
    assert "Name20" not in text


def test_apa_organisation_author_and_day_precision_date():
    text = citations.apa_text(fda())
    assert text.startswith("U.S. Food and Drug Administration. (2023, June 22). FDA approves")
    # The publisher is the author: APA does not repeat it.
    assert text.count("U.S. Food and Drug Administration") == 1
    assert text.endswith("https://www.fda.gov/news-events/example")


def test_apa_press_release_title_is_italic():
    assert "<i>FDA approves the first gene therapy" in str(citations.apa_html(fda()))


def test_apa_month_precision_and_missing_date():
    monthly = make_source(issued=datetime.date(2023, 7, 1), issued_precision="month")
    assert "(2023, July)" in citations.apa_text(monthly)
    undated = make_source(issued=None, issued_precision="")
    assert "(n.d.)" in citations.apa_text(undated)


def test_apa_missing_title_is_described_in_brackets_and_no_author_moves_title_first():
    untitled = make_source(authors=[("Puerto", "G.")], title="", kind="news_article")
    assert "Puerto, G. (2022). [News article]." in citations.apa_text(untitled)
    anonymous = make_source(title="Anonymous report", kind="report", container_title="")
    assert citations.apa_text(anonymous).startswith("Anonymous report. (2022).")


def test_apa_news_article_italicises_the_newspaper():
    news = make_source(
        kind="news_article",
        authors=[("Puerto", "G.")],
        title="A new Spanish CAR-T therapy",
        container_title="Medicina Responsable",
    )
    assert "A new Spanish CAR-T therapy. <i>Medicina Responsable</i>." in str(
        citations.apa_html(news)
    )


def test_attribution_says_not_fully_referenced_and_links_the_reporting_source():
    article = make_source(kind="web_article", publisher="Sermes CRO", container_title="")
    lancet = make_source(
        kind="attribution", title="", container_title="The Lancet", reported_by=article
    )
    html = str(citations.apa_html(lancet))
    assert "A study in <i>The Lancet</i>" in html
    assert "Not fully referenced; as reported by" in html
    assert f'<a href="{article.get_absolute_url()}">' in html
    assert "doi.org" not in html


def test_apa_html_escapes_markup_in_every_field():
    hostile = make_source(title="<script>alert(1)</script>", container_title="A & B <i>")
    html = str(citations.apa_html(hostile))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "A &amp; B &lt;i&gt;" in html


def test_bibtex_parses_back_with_authors_in_order():
    entry = bibtexparser.parse_string(citations.bibtex(catala())).entries[0]
    assert entry["ENTRYTYPE"] == "article"
    assert entry["ID"] == "catala-2022"
    assert entry["author"] == "Catalá, Elena and Iacoboni, Gloria and Barba, Pere"
    assert entry["journal"] == "Medicina Clínica"
    assert entry["doi"] == "10.1016/j.medcli.2021.10.005"
    assert entry["pages"] == "327--332"
    assert entry["year"] == "2022"


def test_bibtex_keeps_an_organisation_author_whole():
    entry = bibtexparser.parse_string(citations.bibtex(fda())).entries[0]
    assert entry["author"] == "{U.S. Food and Drug Administration}"
    assert entry["month"] == "jun"


def test_ris_parses_back():
    (record,) = rispy.loads(citations.ris(catala()))
    assert record["type_of_reference"] == "JOUR"
    assert record["authors"] == ["Catalá, Elena", "Iacoboni, Gloria", "Barba, Pere"]
    assert record["journal_name"] == "Medicina Clínica"
    assert record["start_page"] == "327"
    assert record["end_page"] == "332"
    assert record["doi"] == "10.1016/j.medcli.2021.10.005"


def test_csl_json_has_date_parts_to_the_known_precision():
    (item,) = json.loads(citations.csl_json_text(fda()))
    assert item["type"] == "webpage"
    assert item["author"] == [{"literal": "U.S. Food and Drug Administration"}]
    assert item["issued"] == {"date-parts": [[2023, 6, 22]]}
    (journal,) = json.loads(citations.csl_json_text(catala()))
    assert journal["issued"] == {"date-parts": [[2022]]}
    assert journal["DOI"] == "10.1016/j.medcli.2021.10.005"
    assert journal["page"] == "327-332"
    assert journal["container-title"] == "Medicina Clínica"


def test_ris_download_starts_with_its_type_tag_not_a_record_number():
    text = citations.ris(catala())
    assert text.splitlines()[0] == "TY  - JOUR"
    assert not any(line.rstrip().endswith(".") and line[:1].isdigit() for line in text.splitlines())


def test_remembered_apa_html_follows_every_edit_of_the_source_and_its_authors():
    source = catala()
    assert "<i>158</i>" in str(citations.apa_html(source))
    source.volume = "159"
    source.save()
    source = type(source).objects.prefetch_related("authors").get(pk=source.pk)
    assert "<i>159</i>" in str(citations.apa_html(source))
    source.authors.filter(family="Barba").update(family="Barbosa")
    source = type(source).objects.prefetch_related("authors").get(pk=source.pk)
    assert "Barbosa, P." in str(citations.apa_html(source))
