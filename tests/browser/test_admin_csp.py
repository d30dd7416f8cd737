"""The admin and the public pages work in a real Chromium under the Content Security Policy.

A page's CSP violations are collected from the browser's securitypolicyviolation events,
registered by an init script (init scripts are injected by the browser driver and are
not themselves subject to the page's policy).
"""

import contextlib

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from tests.factories import (
    make_claim,
    make_decision,
    make_figure,
    make_programme,
    make_source,
    make_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber} (${event.sample})`
  );
});
"""


@pytest.fixture
def browser_page(browser):
    """A Chromium page (the shared browser) that records CSP violations and script errors."""
    context = browser.new_context()
    context.add_init_script(COLLECT_VIOLATIONS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    yield page
    context.close()


def sign_in(page, live_server, user):
    """Log in through the admin's login form, as an editor would."""
    page.goto(f"{live_server.url}/{settings.ADMIN_URL}login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", f"pw-{user.username}")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/{settings.ADMIN_URL}")


def visit(page, url):
    response = page.goto(url)
    page.wait_for_load_state("load")
    return response, page.evaluate("window.__cspViolations")


def admin_urls() -> list[str]:
    """Index, then each registered model's list, add, change, history and revert pages,
    and its import and export pages where it has them."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        for view in ("changelist", "add", "import", "export"):
            with contextlib.suppress(NoReverseMatch):
                urls.append(reverse(prefix + view))
        obj = model._default_manager.first()
        if obj is not None:
            urls.append(reverse(prefix + "change", args=[obj.pk]))
            urls.append(reverse(prefix + "history", args=[obj.pk]))
            history = getattr(obj, "history", None)
            if history is not None and history.exists():
                with contextlib.suppress(NoReverseMatch):
                    urls.append(
                        reverse(prefix + "simple_history", args=[obj.pk, history.first().pk])
                    )
    return urls


@pytest.fixture
def admin_site_data():
    """Superuser and one record of each model; returns the user and the admin URLs."""
    make_claim()
    make_source(authors=[("Catalá", "A.")])
    make_figure(value=42)
    make_decision()
    make_programme()
    user = make_user(is_staff=True, is_superuser=True, username="csp-admin")
    return user, admin_urls()


def test_admin_pages_run_without_csp_violations_or_script_errors(
    live_server, admin_site_data, browser_page
):
    user, urls = admin_site_data
    page = browser_page
    sign_in(page, live_server, user)

    problems = {}
    for path in urls:
        response, violations = visit(page, f"{live_server.url}{path}")
        assert response.status < 500, path
        if violations or page.js_errors:
            problems[path] = violations + page.js_errors
        page.js_errors.clear()
    assert problems == {}


def test_public_home_runs_without_csp_violations(live_server, browser_page):
    response, violations = visit(browser_page, f"{live_server.url}/")
    assert response.status == 200
    assert violations == []
    assert browser_page.js_errors == []


def test_export_select_all_box_works_under_the_admin_policy(
    live_server, admin_site_data, browser_page
):
    """The one inline handler the admin policy allows by hash really runs."""
    user, _ = admin_site_data
    page = browser_page
    sign_in(page, live_server, user)
    response, violations = visit(
        page, f"{live_server.url}{reverse('admin:therapies_therapy_export')}"
    )
    assert response.status == 200
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]:visible')
    assert fields.count() > 1
    page.uncheck("input.select-toggle")
    assert all(not box.is_checked() for box in fields.all())
    assert page.evaluate("window.__cspViolations") == violations == []
