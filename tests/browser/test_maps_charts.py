"""Maps and charts in a real browser: accessible, fitting a phone, both themes, strict CSP."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.browser.conftest import axe, committed_content, horizontal_overflow, screenshot
from tests.factories import (
    make_claim,
    make_decision,
    make_institution,
    make_programme,
    make_source,
    make_therapy,
)

# Every test here only reads: the content is built once for the module and served by the
# reading server (tests/browser/conftest.py), not rebuilt and flushed for each page.
pytestmark = pytest.mark.browser

VIEWS = [
    (f"{width}-{scheme}", width, scheme)
    for width in (1280, 390, 360)
    for scheme in ("light", "dark")
]


def build_map_content():
    therapy = make_therapy(name="ARI0002h", slug="ari0002h", development_status="clinical_trial")
    clinic = make_institution(
        name="Hospital Clínic de Barcelona",
        slug="clinic",
        city="Barcelona",
        region="Catalonia",
        latitude=Decimal("41.38879"),
        longitude=Decimal("2.15899"),
    )
    sjd = make_institution(
        name="Sant Joan de Déu Hospital",
        slug="sjd",
        kind="childrens_hospital",
        city="Barcelona",
        region="Catalonia",
        latitude=Decimal("41.38879"),
        longitude=Decimal("2.15899"),
    )
    canaries = make_institution(
        name="Hospital on Gran Canaria",
        slug="gran-canaria",
        city="Las Palmas de Gran Canaria",
        region="Canary Islands",
        latitude=Decimal("28.09973"),
        longitude=Decimal("-15.41343"),
    )
    boston = make_institution(
        name="A company in Boston",
        slug="boston",
        kind="company",
        city="Boston",
        region="Massachusetts",
        country="US",
        latitude=Decimal("42.35843"),
        longitude=Decimal("-71.05977"),
    )
    make_programme(institution=clinic, therapy=therapy, role="develops")
    make_programme(institution=sjd, therapy=therapy, role="designated_centre")
    make_programme(institution=canaries, therapy=therapy, role="treats")
    make_programme(institution=boston, therapy=therapy, role="trial_site")
    fda = make_institution(name="FDA", slug="fda", kind="regulator", country="US")
    make_decision(therapy=therapy, agency=fda, date=datetime.date(2023, 6, 22))
    make_decision(therapy=therapy, agency=clinic, date=datetime.date(2024, 1, 2))
    make_claim(therapy=therapy, sources=[make_source(kind="news_article")])
    return {"therapy": therapy, "institution": clinic}


@pytest.fixture(scope="module")
def content(django_db_setup, django_db_blocker):
    with committed_content(django_db_blocker, build_map_content) as built:
        yield built


@pytest.fixture
def server(reading_server, content):
    return reading_server


PAGES = {
    "institution-list": lambda c: reverse("hospitals:institution-list"),
    "institution-detail": lambda c: c["institution"].get_absolute_url(),
    "therapy-detail": lambda c: c["therapy"].get_absolute_url(),
    "home": lambda c: reverse("home"),
    "therapy-list": lambda c: reverse("therapies:therapy-list"),
    "claim-list": lambda c: reverse("sources:claim-list"),
    "timeline": lambda c: reverse("timeline"),
}


@pytest.mark.parametrize("view", VIEWS, ids=[v[0] for v in VIEWS])
@pytest.mark.parametrize("name", list(PAGES))
def test_maps_and_charts_are_accessible_in_both_themes_and_fit_a_phone(
    page_factory, content, name, view
):
    label, width, scheme = view
    page = page_factory(width=width, color_scheme=scheme)
    assert page.goto(PAGES[name](content)).status == 200
    assert page.locator(".map svg, .chart svg").count() >= 1
    assert axe(page) == []
    assert horizontal_overflow(page) <= 0
    assert page.foreign_requests == []
    assert page.console_errors == []
    screenshot(page, f"maps-{name}-{label}")


def test_a_marker_is_a_link_to_its_institution(page, content):
    page.goto(content["therapy"].get_absolute_url())
    marker = page.get_by_role("link", name="A company in Boston, Boston, Massachusetts")
    marker.first.click()
    page.wait_for_url("**/institutions/boston/")


def test_a_chart_opens_its_data_table(page):
    page.goto(reverse("home"))
    chart = page.get_by_role("figure", name="Therapies by development status")
    chart.get_by_text("Data table").click()
    assert chart.get_by_role("row", name="Clinical trial 1").is_visible()
