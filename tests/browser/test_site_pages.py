"""The main public pages in a real browser: accessible, responsive, self-contained."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

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
    make_trial,
)

# Every test here only reads: the content is built once for the module and served by the
# reading server (tests/browser/conftest.py), not rebuilt and flushed for each page.
pytestmark = pytest.mark.browser

# (name, width, colour scheme): desktop and phone widths, the narrowest phone we support,
# and the dark theme on a phone.
VIEWS = [
    ("desktop", 1280, "light"),
    ("phone", 390, "light"),
    ("narrow", 360, "light"),
    ("phone-dark", 390, "dark"),
]


def build_content():
    """A small, realistic site."""
    modality = make_modality(name="CAR-T cells", slug="car-t-cells", delivery="ex_vivo")
    lymphoma = make_condition(
        name="Aggressive B-cell lymphoma",
        slug="aggressive-b-cell-lymphoma",
        category="haematological_cancer",
        summary="A fast-growing cancer of B lymphocytes.",
    )
    therapy = make_therapy(
        name="CAR-T therapy",
        slug="car-t-therapy",
        modality=modality,
        conditions=[lymphoma],
        summary="A patient's T lymphocytes are modified to recognise and destroy cancer cells.",
    )
    hospital = make_institution(
        name="Sant Joan de Déu Hospital",
        slug="sant-joan-de-deu",
        city="Barcelona",
        summary="The children's hospital of Sant Joan de Déu in Barcelona.",
    )
    make_programme(institution=hospital, therapy=therapy, role="treats")
    article = make_source(
        key="catala-2022",
        title="CAR-T in aggressive B-cell lymphoma: a decade of treatment",
        authors=[("Catalá", "E."), ("Iacoboni", "G."), ("Barba", "P.")],
        doi="10.1016/j.medcli.2021.10.005",
    )
    make_figure(
        value=85.5,
        unit="percent",
        statement="Share of CAR-T requests approved in Spain.",
        as_of=datetime.date(2024, 3, 1),
        as_of_precision="month",
        therapy=therapy,
        sources=[article],
    )
    make_claim(
        statement="Spain approved a national plan for CAR-T therapies.",
        event_date=datetime.date(2018, 11, 1),
        event_date_precision="month",
        therapy=therapy,
        sources=[article],
    )
    regulator = make_institution(name="Regulator", slug="regulator", kind="regulator")
    make_decision(therapy=therapy, agency=regulator, source=article)
    trial = make_trial(
        slug="cartbcma-hcb-01",
        acronym="CARTBCMA-HCB-01",
        title="A pilot study of an academic CAR-T therapy",
        phase="phase_1_2",
        therapies=[therapy],
        conditions=[lymphoma],
        sites=[hospital],
        sources=[article],
    )
    return {"therapy": therapy, "modality": modality, "trial": trial}


@pytest.fixture(scope="module")
def content(django_db_setup, django_db_blocker):
    with committed_content(django_db_blocker, build_content) as built:
        yield built


@pytest.fixture
def server(reading_server, content):
    return reading_server


PAGES = {
    "home": lambda content: reverse("home"),
    "therapy-list-filtered": lambda content: (
        reverse("therapies:therapy-list") + f"?modality={content['modality'].slug}"
    ),
    "therapy-detail": lambda content: content["therapy"].get_absolute_url(),
    "search": lambda content: reverse("search") + "?q=deu",
    "timeline": lambda content: reverse("timeline"),
    "trial-list": lambda content: reverse("therapies:trial-list"),
    "trial-detail": lambda content: content["trial"].get_absolute_url(),
    "decision-list": lambda content: reverse("therapies:decision-list"),
}
# The same pages in Spanish, under /es/ (each is reversed while Spanish is active).
SPANISH_PAGES = {f"es-{name}": url for name, url in PAGES.items()}


@pytest.mark.parametrize("view", VIEWS, ids=[v[0] for v in VIEWS])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_accessible_fits_the_screen_and_stays_on_this_host(
    page_factory, content, name, view
):
    label, width, scheme = view
    page = page_factory(width=width, color_scheme=scheme)
    response = page.goto(PAGES[name](content))
    assert response.status == 200
    page.wait_for_load_state("load")

    assert axe(page) == []
    if width < 1000:
        assert horizontal_overflow(page) <= 0
    assert page.foreign_requests == []
    assert page.console_errors == []
    screenshot(page, f"{name}-{label}")


@pytest.mark.parametrize("name", list(SPANISH_PAGES))
def test_spanish_page_is_accessible_and_fits_a_phone(page_factory, content, name):
    with translation.override("es"):
        url = SPANISH_PAGES[name](content)
    assert url.startswith("/es/")
    page = page_factory(width=360, color_scheme="light")
    response = page.goto(url)
    assert response.status == 200
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "es"
    assert axe(page) == []
    assert horizontal_overflow(page) <= 0
    assert page.foreign_requests == []
    assert page.console_errors == []
    screenshot(page, f"{name}-phone")


def test_stylesheet_loads(page_factory):
    page = page_factory()
    page.goto(reverse("home"))
    # The header's background comes from site.css, so an unstyled page fails here.
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert background not in {"rgba(0, 0, 0, 0)", "transparent"}


def test_search_from_the_header_without_javascript(browser, server):
    context = browser.new_context(java_script_enabled=False, base_url=server.url)
    try:
        page = context.new_page()
        page.goto(reverse("home"))
        page.get_by_label("Search", exact=True).fill("déu")
        page.get_by_role("button", name="Search").first.click()
        page.wait_for_url("**/search/?q=*")
        assert page.get_by_role("link", name="Sant Joan de Déu Hospital").is_visible()
        assert page.locator("mark").first.inner_text() == "Déu"
    finally:
        context.close()


def test_skip_link_moves_focus_to_the_main_content(page):
    page.goto(reverse("home"))
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_keyboard_focus_is_visible(page_factory, scheme):
    page = page_factory(color_scheme=scheme)
    page.goto(reverse("home"))
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand link
    outline = page.evaluate(
        "(() => { const style = getComputedStyle(document.activeElement);"
        " return [style.outlineStyle, parseFloat(style.outlineWidth)]; })()"
    )
    assert outline[0] != "none"
    assert outline[1] >= 2


def test_over_long_words_do_not_widen_a_phone_screen(page_factory):
    page = page_factory(width=360)
    page.goto(reverse("search") + "?q=" + "x" * 300)
    assert horizontal_overflow(page) <= 0


def test_strict_content_security_policy_reports_an_inline_style(page):
    """The console check above would catch a violation: prove it with one."""
    page.goto(reverse("home"))
    with page.expect_console_message(lambda message: message.type == "error") as message:
        page.evaluate(
            """document.body.insertAdjacentHTML('beforeend', '<p style="color: red">x</p>')"""
        )
    assert "Content Security Policy" in message.value.text
