"""The list and detail pages of every content type in a real browser.

Each page is checked with axe-core (WCAG 2.2 A/AA), at 360 CSS pixels (no sideways
scrolling) and in the dark theme; the filter form and the reference markers are used as a
reader would, with JavaScript off.
"""

import datetime

import pytest
from django.urls import reverse

from sources.models import Author
from tests.browser.conftest import axe, committed_content, horizontal_overflow, screenshot
from tests.factories import (
    make_claim,
    make_condition,
    make_decision,
    make_figure,
    make_institution,
    make_modality,
    make_programme,
    make_source,
    make_therapy,
)

# The tests here only read: the content is built once for the module and served by the
# reading server (tests/browser/conftest.py). Tests that add records of their own are in
# test_list_detail_writes.py, with a flushed database after each.
pytestmark = pytest.mark.browser

VIEWS = [("desktop", 1280, "light"), ("phone", 360, "light"), ("phone-dark", 360, "dark")]


def build_content():
    """Records of every kind, with a flagged claim, a superseded figure and an attribution."""
    modality = make_modality(name="AAV gene addition", slug="aav", delivery="in_vivo")
    haemophilia = make_condition(name="Haemophilia", slug="haemophilia", is_rare=True)
    haemophilia_a = make_condition(
        name="Haemophilia A",
        slug="haemophilia-a",
        parent=haemophilia,
        orpha_code="ORPHA:98878",
        icd10_code="D66",
    )
    therapy = make_therapy(
        name="Gene therapy for haemophilia",
        slug="haemophilia-gene-therapy",
        modality=modality,
        conditions=[haemophilia_a],
        development_status="in_use",
    )
    la_paz = make_institution(name="La Paz University Hospital", slug="la-paz")
    make_programme(institution=la_paz, therapy=therapy, role="implements", since=2020)
    article = make_source(
        key="sermes-2025",
        kind="web_article",
        title="Gene Therapies",
        container_title="",
        issued=datetime.date(2025, 3, 14),
        issued_precision="day",
        url="https://example.org/article",
    )
    Author.objects.create(source=article, position=1, literal="Sermes CRO")
    journal = make_source(
        key="catala-2022",
        authors=[("Catalá", "E."), ("Barba", "P.")],
        title="CAR-T in lymphoma",
        container_title="Medicina Clínica",
        volume="158",
        issue="7",
        pages="327-332",
        doi="10.1016/j.medcli.2021.10.005",
    )
    attribution = make_source(
        key="haemophilia-article",
        kind="attribution",
        title="",
        container_title="Haemophilia",
        reported_by=article,
        issued=None,
        issued_precision="",
    )
    newer = make_figure(
        value=2000,
        slug="requests-2024",
        statement="CAR-T requests.",
        measure="requests",
        therapy=therapy,
        sources=[journal],
        as_of=datetime.date(2024, 1, 1),
        as_of_precision="year",
    )
    make_figure(
        value=1859,
        slug="requests-2025",
        qualifier="more_than",
        measure="requests",
        statement="CAR-T requests, as first reported.",
        therapy=therapy,
        sources=[article],
        superseded_by=newer,
        review_status="superseded",
        as_of=datetime.date(2023, 1, 1),
        as_of_precision="year",
    )
    make_claim(
        slug="la-paz-results",
        statement="Promising results at La Paz.",
        therapy=therapy,
        condition=haemophilia,
        institution=la_paz,
        sources=[article, attribution],
        review_status="needs_review",
        review_note="The article in Haemophilia is not identified.",
    )
    regulator = make_institution(name="Regulator", slug="regulator", kind="regulator")
    make_decision(therapy=therapy, agency=regulator, source=journal)
    return {
        "therapy": therapy,
        "condition": haemophilia,
        "institution": la_paz,
        "source": journal,
        "attribution": attribution,
    }


@pytest.fixture(scope="module")
def content(django_db_setup, django_db_blocker):
    with committed_content(django_db_blocker, build_content) as built:
        yield built


@pytest.fixture
def server(reading_server, content):
    return reading_server


PAGES = {
    "condition-list": lambda c: reverse("therapies:condition-list") + "?rare=true",
    "condition-detail": lambda c: c["condition"].get_absolute_url(),
    "institution-list": lambda c: reverse("hospitals:institution-list"),
    "institution-detail": lambda c: c["institution"].get_absolute_url(),
    "source-list": lambda c: reverse("sources:source-list"),
    "source-detail": lambda c: c["source"].get_absolute_url(),
    "attribution-detail": lambda c: c["attribution"].get_absolute_url(),
    "claim-list": lambda c: reverse("sources:claim-list"),
    "claim-detail": lambda c: reverse("sources:claim-detail", args=["requests-2024"]),
    "therapy-list-invalid-filter": lambda c: reverse("therapies:therapy-list") + "?modality=x",
    "therapy-list-empty": lambda c: reverse("therapies:therapy-list") + "?q=nothing+here",
}


@pytest.mark.parametrize("view", VIEWS, ids=[v[0] for v in VIEWS])
@pytest.mark.parametrize("name", list(PAGES))
def test_list_and_detail_pages_are_accessible_and_fit_a_phone(page_factory, content, name, view):
    label, width, scheme = view
    page = page_factory(width=width, color_scheme=scheme)
    response = page.goto(PAGES[name](content))
    assert response.status in {200, 400}
    assert axe(page) == []
    if width < 1000:
        assert horizontal_overflow(page) <= 0
    assert page.foreign_requests == []
    screenshot(page, f"pages-{name}-{label}")


def test_a_reference_marker_leads_to_its_reference_and_back(page, content):
    page.goto(content["therapy"].get_absolute_url())
    page.locator("sup.ref-marker a").first.click()
    assert page.evaluate("location.hash") == "#ref-1"
    target = page.locator("#ref-1")
    assert "Catalá, E., & Barba, P. (2022)" in target.inner_text()
    target.get_by_role("link", name="back to citation 1").click()
    assert page.evaluate("location.hash") == "#cite-1-1"
