"""The citation writers read one CSL-JSON item: each is checked here with a literal dict,
without a database, so a change to one format cannot hide behind model fixtures."""

import bibtexparser
import rispy

from sources import citations

ARTICLE = {
    "id": "oliver-caldes-2023",
    "type": "article-journal",
    "author": [
        {"family": "Oliver-Caldés", "given": "Aina"},
        {"family": "González-Calle", "given": "Verónica"},
    ],
    "title": "Fractionated initial infusion and booster dose of ARI0002h",
    "issued": {"date-parts": [[2023, 6]]},
    "container-title": "The Lancet Oncology",
    "volume": "24",
    "issue": "8",
    "page": "913-924",
    "DOI": "10.1016/S1470-2045(23)00222-X",
    "custom": {"kind": "journal_article", "et-al": True},
}

TRANSLATED = {
    "id": "infosalus",
    "type": "article-newspaper",
    "title": "La Paz, first hospital to apply a gene therapy",
    "original-title": "La Paz, primer hospital en aplicar una terapia génica",
    "issued": {"date-parts": [[2024]]},
    "container-title": "Infosalus",
    "URL": "https://www.infosalus.com/example",
    "custom": {"kind": "news_article"},
}

ATTRIBUTION = {
    "id": "lancet-study",
    "type": "document",
    "container-title": "The Lancet",
    "note": "Not fully referenced; as reported by infosalus",
    "custom": {
        "kind": "attribution",
        "reporter": {"key": "infosalus", "label": "Infosalus (2024)", "url": "/sources/infosalus/"},
    },
}


def test_apa_from_the_item_alone():
    assert citations.apa_text_of(ARTICLE) == (
        "Oliver-Caldés, A., González-Calle, V., et al. (2023, June). Fractionated initial "
        "infusion and booster dose of ARI0002h. The Lancet Oncology, 24(8), 913\u2013924. "
        "https://doi.org/10.1016/S1470-2045(23)00222-X"
    )


def test_apa_puts_the_original_title_first_and_the_translation_in_brackets():
    text = citations.apa_text_of(TRANSLATED)
    assert text.startswith(
        "La Paz, primer hospital en aplicar una terapia génica "
        "[La Paz, first hospital to apply a gene therapy]. (2024)."
    )
    assert text.endswith("https://www.infosalus.com/example")


def test_apa_html_links_an_attribution_to_its_reporter_and_escapes():
    hostile = {**ATTRIBUTION, "container-title": "<script>x</script>"}
    html = str(citations.apa_html_of(hostile))
    assert '<a href="/sources/infosalus/">Infosalus (2024)</a>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_bibtex_from_the_item_alone():
    (entry,) = bibtexparser.parse_string(citations.bibtex_text([ARTICLE])).entries
    assert entry.entry_type == "article"
    assert entry["author"] == "Oliver-Caldés, Aina and González-Calle, Verónica and others"
    assert entry["month"] == "jun"
    assert entry["pages"] == "913--924"
    assert entry["journal"] == "The Lancet Oncology"


def test_ris_from_the_item_alone():
    (record,) = rispy.loads(citations.ris_records([citations.ris_entry_of(TRANSLATED)]))
    assert record["type_of_reference"] == "NEWS"
    assert record["title"] == "La Paz, primer hospital en aplicar una terapia génica"
    assert record["translated_title"] == "La Paz, first hospital to apply a gene therapy"
    assert record["date"] == "2024//"
    (article,) = rispy.loads(citations.ris_records([citations.ris_entry_of(ARTICLE)]))
    assert (article["start_page"], article["end_page"]) == ("913", "924")
    assert article["date"] == "2023/06/"


def test_an_item_with_nothing_known_still_writes_every_format():
    bare = {"id": "bare", "type": "document", "custom": {"kind": "report"}}
    assert citations.apa_text_of(bare) == "[Report]. (n.d.)."
    assert "@techreport{bare" in citations.bibtex_text([bare])
    assert citations.ris_entry_of(bare) == {"type_of_reference": "RPRT", "id": "bare"}
