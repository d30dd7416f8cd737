"""The API's interactive documentation works in Chromium under the strict CSP, offline."""

import pytest

from tests.browser.test_admin_csp import COLLECT_VIOLATIONS
from tests.factories import make_therapy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_every_operation_from_local_files(page, live_server):
    make_therapy(slug="car-t", name="CAR-T therapy")
    page.context.add_init_script(COLLECT_VIOLATIONS)
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=15000)
    operations = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/therapies" in operations
    assert len(operations) >= 20
    # Try it out: the UI calls the API on this host and shows the answer.
    page.locator('.opblock-summary-path[data-path="/api/v1/therapies"]').click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    page.wait_for_selector(".live-responses-table .response-col_status", timeout=15000)
    assert "car-t" in page.locator(".live-responses-table").inner_text()
    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []
    assert page.foreign_requests == []
