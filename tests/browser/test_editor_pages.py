"""The data-health page and the audit log in a real Chromium: they render under the
admin's Content Security Policy without script errors, their links work, and a
screenshot of each is kept for review."""

import pytest
from django.conf import settings

from genetx.models import Status
from tests.browser.conftest import axe, screenshot
from tests.browser.test_admin_csp import browser_page, sign_in  # noqa: F401 (fixture)
from tests.factories import make_claim, make_source, make_therapy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_data_health_counts_link_to_their_records(browser_page, live_server, publisher):  # noqa: F811
    page = browser_page
    news = make_source(kind="news_article", url="", title="A news report")
    make_claim(statement="Only one news source.", sources=[news])
    make_therapy(development_status="", status=Status.DRAFT)
    sign_in(page, live_server, publisher)
    page.click("text=Data health")
    page.wait_for_selector("#data-health")
    screenshot(page, "admin-data-health")
    assert axe(page) == []
    page.click("a[aria-label^='1 claims: Published claims citing only news']")
    page.wait_for_selector("#result_list")
    assert "Only one news source." in page.content()
    assert page.js_errors == [] and page.evaluate("window.__cspViolations") == []


def test_audit_log_filters_and_links_to_history(browser_page, live_server, publisher):  # noqa: F811
    page = browser_page
    therapy = make_therapy(name="Logged therapy", status=Status.DRAFT)
    therapy._history_user, therapy._change_reason = publisher, "Corrected the INN"
    therapy.save()
    sign_in(page, live_server, publisher)
    page.goto(f"{live_server.url}/{settings.ADMIN_URL}audit-log/")
    page.select_option("#id_model", "therapies.therapy")
    page.click("input[value=Filter]")
    page.wait_for_selector("#audit-log")
    assert "Corrected the INN" in page.content()
    screenshot(page, "admin-audit-log")
    assert axe(page) == []
    page.click("#audit-log >> text=Logged therapy")
    page.wait_for_selector("#change-history, .module")
    assert "history" in page.url
    assert page.js_errors == [] and page.evaluate("window.__cspViolations") == []
