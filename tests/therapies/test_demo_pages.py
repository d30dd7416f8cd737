"""The demo content as readers see it on the public pages.

These tests use the demo fixtures on purpose: they check that the article's content is
reachable and referenced on the pages, which no builder-made data can show.
"""

import json
import re

import bibtexparser
import pytest
import rispy
from django.urls import reverse

pytestmark = pytest.mark.django_db

CATALA_DOI = "10.1016/j.medcli.2021.10.005"


@pytest.fixture
def demo(demo_content, db):
    """The demo content, loaded once for this module (tests.conftest.demo_content)."""


def claim_block(body: str, slug: str) -> str:
    """The statement paragraph of one claim on the page."""
    start = body.index(f'id="claim-{slug}"')
    return body[start : body.index("</p>", start)]


def reference_entry(body: str, anchor: str) -> str:
    start = body.index(f'<li id="{anchor}"')
    return body[start : body.index("</li>", start)]


def test_haemophilia_page_links_to_la_paz_and_its_therapy(client, demo):
    body = client.get(reverse("therapies:condition-detail", args=["haemophilia"])).content.decode()
    assert 'href="/institutions/la-paz-university-hospital/"' in body
    assert 'href="/therapies/la-paz-haemophilia-gene-therapy/"' in body
    assert 'href="/conditions/haemophilia-a/"' in body


def test_car_t_page_shows_the_figures_with_markers_to_the_article(client, demo):
    body = client.get(reverse("therapies:therapy-detail", args=["car-t-therapy"])).content.decode()
    for slug, figure in (
        ("spain-car-t-requests-since-2018", "more than 1,859"),
        ("spain-car-t-request-approval-rate", "85.5%"),
    ):
        block = claim_block(body, slug)
        assert f'<strong class="claim-figure">{figure}</strong>' in block
        targets = re.findall(r'<a href="#(ref-\d+)">', block)
        assert targets, figure
        entry = reference_entry(body, targets[0])
        assert 'href="/sources/sermes-2025/"' in entry
        assert "Sermes CRO" in entry
    # The claim an editor flagged is shown as such.
    assert "Needs review" in body


def test_catala_source_page_shows_doi_cited_by_and_downloads(client, demo):
    response = client.get(reverse("sources:source-detail", args=["catala-2022"]))
    body = response.content.decode()
    doi_url = f"https://doi.org/{CATALA_DOI}"
    assert f'<a href="{doi_url}" rel="external">{doi_url}</a>' in body
    cited_by = body[body.index('id="cited-by-heading"') :]
    assert 'href="/claims/car-t-in-aggressive-b-cell-lymphoma/"' in cited_by
    assert 'href="/therapies/car-t-therapy/"' in cited_by
    assert "Catalá, E., Iacoboni, G., &amp; Barba, P. (2022)." in body

    bib = client.get(reverse("sources:source-bibtex", args=["catala-2022"])).content.decode()
    entry = bibtexparser.parse_string(bib).entries[0]
    assert entry["doi"] == CATALA_DOI
    assert entry["author"].startswith("Catalá")
    (record,) = rispy.loads(
        client.get(reverse("sources:source-ris", args=["catala-2022"])).content.decode()
    )
    assert record["doi"] == CATALA_DOI and record["volume"] == "158"
    (item,) = json.loads(
        client.get(reverse("sources:source-csl", args=["catala-2022"])).content.decode()
    )
    assert item["DOI"] == CATALA_DOI and item["issued"] == {"date-parts": [[2022]]}


def test_every_demo_list_and_detail_page_renders(client, demo):
    from hospitals.models import Institution
    from sources.models import Claim, Source
    from therapies.models import Condition, Therapy

    for name in (
        "therapies:therapy-list",
        "therapies:condition-list",
        "hospitals:institution-list",
        "sources:source-list",
        "sources:claim-list",
    ):
        assert client.get(reverse(name)).status_code == 200, name
    for model in (Therapy, Condition, Institution, Source, Claim):
        for record in model.objects.published():
            assert client.get(record.get_absolute_url()).status_code == 200, record
