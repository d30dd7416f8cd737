"""On phones the list filters fold behind a disclosure; on wide screens they always show.

No script is involved: a <details> element, opened by the server once the reader has
filtered, and shown by the stylesheet from the two-column width up.
"""

import pytest

from tests.browser.conftest import axe, committed_content, horizontal_overflow, screenshot
from tests.factories import make_modality, make_therapy

# Every test here only reads: the therapies are made once for the module and served by the
# reading server (tests/browser/conftest.py), not remade and flushed for each page.
pytestmark = pytest.mark.browser


def make_therapies():
    aav = make_modality(slug="aav", name="AAV gene addition")
    for n in range(3):
        make_therapy(name=f"Therapy {n}", modality=aav)


@pytest.fixture(scope="module")
def therapies(django_db_setup, django_db_blocker):
    with committed_content(django_db_blocker, make_therapies):
        yield


@pytest.fixture
def server(reading_server, therapies):
    return reading_server


@pytest.mark.parametrize("width", [390, 360])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_filters_start_folded_and_open_on_request(page_factory, therapies, width, scheme):
    page = page_factory(width=width, height=800, color_scheme=scheme)
    page.goto("/therapies/")
    toggle = page.get_by_text("Filters and sorting")
    search_box = page.locator("#f-q")  # the list's own search box, not the header's
    assert toggle.is_visible()
    assert not search_box.is_visible()
    # The first results are on the first screen, not below a wall of checkboxes.
    assert page.get_by_role("link", name="Therapy 0").is_visible()
    assert page.get_by_role("link", name="Therapy 0").bounding_box()["y"] < 800
    assert axe(page) == []
    toggle.click()
    assert search_box.is_visible()
    assert page.get_by_role("button", name="Apply filters").is_visible()
    assert axe(page) == []
    assert horizontal_overflow(page) <= 0
    assert page.console_errors == []
    screenshot(page, f"filters-disclosure-{width}-{scheme}")


@pytest.mark.parametrize("width", [390, 360])
def test_a_filtered_list_shows_its_filters_open_on_a_phone(page_factory, therapies, width):
    page = page_factory(width=width)
    page.goto("/therapies/?modality=aav")
    assert page.get_by_role("checkbox", name="AAV gene addition (3)").is_checked()
    assert page.get_by_role("checkbox", name="AAV gene addition (3)").is_visible()
    assert "(1 chosen)" in page.get_by_text("Filters and sorting").inner_text()
    assert axe(page) == []


def test_wide_screens_show_the_filters_without_the_toggle(page_factory, therapies):
    page = page_factory(width=1280)
    page.goto("/therapies/")
    assert not page.get_by_text("Filters and sorting").is_visible()
    assert page.locator("#f-q").is_visible()
    assert page.get_by_role("button", name="Apply filters").is_visible()
    assert axe(page) == []
