"""Real-browser tests: Playwright's sync API driving Debian's Chromium against live_server.

Playwright's own browser download is never used: the browser is the system Chromium found
by tests.parts.chromium_path(), which skips (or fails in CI) when it is missing.
"""

import contextlib
import os
import warnings
from urllib.parse import urlparse

import pytest
from django.conf import settings

from tests.parts import chromium_path

# Playwright's sync API runs an event loop in this thread, and Django refuses database
# access from a thread with a running loop unless told the access is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

SCREENSHOTS = settings.BASE_DIR / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The policy the site must work under, enforced here on every page whatever the settings
# send, so an inline script or style attribute shows up as a console error.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}


# What makes pytest-django create the test database: a django_db mark or one of these.
_ASKS_FOR_DATABASE = {"db", "transactional_db", "live_server"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Ask for the test database when only read-only browser tests are selected.

    pytest-django creates it only if a selected test asks (after -k and -m have deselected).
    Read-only browser modules reach it through `reading_server` instead, so run on their own
    they found no tables. Then the first of them carries a django_db mark, which asks; in a
    run with any other database test nothing changes.
    """
    if any(
        item.get_closest_marker("django_db") or _ASKS_FOR_DATABASE & set(item.fixturenames)
        for item in items
    ):
        return
    reading = [item for item in items if "reading_server" in getattr(item, "fixturenames", ())]
    if reading:
        reading[0].add_marker(pytest.mark.django_db)


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def server(live_server):
    """The live server that pages open on.

    By default pytest-django's live_server: the test is transactional and the database is
    flushed after it, so a test that writes (an editor's flow) leaves nothing behind.
    Modules whose tests only read override this fixture with `reading_server` and build
    their content once (`committed_content`), which spares a rebuild and a flush of
    every table per page.
    """
    return live_server


@pytest.fixture(scope="session")
def reading_server(django_db_setup, django_db_blocker):
    """A second live server, for tests that only read data a module committed once.

    It is not pytest-django's live_server fixture, because any test that uses that one is
    made transactional (a flush after each test). With SQLite's in-memory test database it
    shares the test thread's connection, as live_server does.
    """
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        live = LiveServer("localhost")
    # Nothing served here changes between tests, so page_factory may reuse its pages.
    live.read_only = True
    yield live
    live.stop()


@contextlib.contextmanager
def committed_content(django_db_blocker, build):
    """Build content once for a module of read-only browser tests, committed so the live
    server's own connections see it; the database is flushed after the module, as a
    transactional test would flush it after itself. Database access stays open while the
    module's tests run, for the server's threads."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        try:
            yield build()
        finally:
            call_command("flush", verbosity=0, interactive=False, reset_sequences=False)


@pytest.fixture(scope="session")
def _reused_pages(browser):
    """Pages kept open across tests that only read, one per server and screen.

    A fresh context and page cost about 0.15 s, and axe-core's 570 KB script compiles
    faster in a renderer that has compiled it before: reusing them saves a fifth of a
    read-only browser test. Reading tests only navigate, so nothing they leave (the
    history, a folded filter) can reach the next test's page, which loads anew.
    """
    pages = {}
    yield pages
    for page in pages.values():
        page.context.close()


@pytest.fixture
def page_factory(browser, server, _reused_pages):
    """Open pages, each recording requests to any other host and console errors.

    Tests that write get fresh contexts, closed after the test; tests on the reading
    server get a page reused from earlier tests of the same screen, with its records reset.
    """
    contexts = []
    own_host = urlparse(server.url).netloc
    reuse = getattr(server, "read_only", False)

    def open_page(*, width: int = 1280, height: int = 900, color_scheme: str = "light"):
        key = (server.url, width, height, color_scheme)
        if reuse and key in _reused_pages:
            page = _reused_pages[key]
            page.foreign_requests.clear()
            page.console_errors.clear()
            return page
        context = browser.new_context(
            viewport={"width": width, "height": height},
            color_scheme=color_scheme,
            base_url=server.url,
        )
        if not reuse:
            contexts.append(context)
        context.route("**/*", _with_strict_csp)
        page = context.new_page()
        page.foreign_requests = []

        def record(request):
            url = urlparse(request.url)
            if url.scheme in {"http", "https", "ws", "wss"} and url.netloc != own_host:
                page.foreign_requests.append(request.url)

        page.on("request", record)
        # Console errors include Content Security Policy violations and failed loads.
        page.console_errors = []
        page.on(
            "console",
            lambda message: (
                page.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        if reuse:
            _reused_pages[key] = page
        return page

    yield open_page
    for context in contexts:
        context.close()


def _with_strict_csp(route):
    if route.request.resource_type != "document":
        route.continue_()
        return
    response = route.fetch()
    headers = {**response.headers, "content-security-policy": STRICT_CSP}
    route.fulfill(response=response, headers=headers)


@pytest.fixture
def page(page_factory):
    """A page at desktop width in the light theme."""
    return page_factory()


def axe(page) -> list[dict]:
    """Serious and critical WCAG 2.2 A/AA violations axe-core finds on the page.

    axe-core is the copy bundled with axe-playwright-python, evaluated through the
    DevTools protocol, so it runs under the site's strict Content Security Policy.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["html"][:200] for node in violation["nodes"][:5]],
        }
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


# Screenshots are for people (the README's pictures, a look at a page), not checks, and a
# full-page capture costs about a tenth of a page test: they are taken when asked for.
TAKE_SCREENSHOTS = os.environ.get("GENETX_SCREENSHOTS", "") not in {"", "0", "false"}


def screenshot(page, name: str) -> None:
    """Save the page for people to look at, when GENETX_SCREENSHOTS is set; not a check.

    Chromium now and then refuses a full-page capture ("Unable to capture screenshot")
    on a busy machine: the test's assertions have already run, so the artifact falls back
    to the viewport, then to a warning, instead of failing the test.
    """
    from playwright.sync_api import Error

    if not TAKE_SCREENSHOTS:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SCREENSHOTS / f"{name}.png")
    try:
        page.screenshot(path=path, full_page=True)
    except Error:
        try:
            page.screenshot(path=path)
        except Error as exc:
            warnings.warn(f"no screenshot for {name}: {exc.message[:200]}", stacklevel=2)
