"""List and detail pages in a real browser, in tests that add records of their own.

They share build_content() with test_list_detail_pages.py, whose tests only read and share
one copy of it; these run against pytest-django's live server, with the database flushed
after each test.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from genetx.models import Status
from sources.models import Claim
from tests.browser.conftest import axe
from tests.browser.test_list_detail_pages import build_content
from tests.factories import make_claim, make_therapy
from tests.pages_helpers import staff_with_change_permission

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_filters_work_without_javascript(browser, live_server):
    build_content()
    make_therapy(name="Unrelated therapy")
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto(reverse("therapies:therapy-list"))
        page.get_by_role("checkbox", name="AAV gene addition").check()
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**/therapies/?*modality=aav*")
        assert page.get_by_role("link", name="Gene therapy for haemophilia").is_visible()
        assert page.get_by_role("link", name="Unrelated therapy").count() == 0
        page.get_by_role("link", name="Clear filters").click()
        # The click starts a navigation without waiting for it: expect() retries until the
        # unfiltered list has loaded, where a bare is_visible() read the old page.
        page.wait_for_url(re.compile(r"/therapies/$"))
        expect(page.get_by_role("link", name="Unrelated therapy")).to_be_visible()
    finally:
        context.close()


def test_staff_preview_shows_the_draft_banner(browser, live_server, client):
    build_content()
    draft = make_claim(slug="draft-claim", statement="Not yet public.", status=Status.DRAFT)
    user = staff_with_change_permission(Claim)
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    context = browser.new_context(base_url=live_server.url)
    try:
        context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        page.goto(draft.get_absolute_url())
        assert page.get_by_text("Draft — not public").is_visible()
        assert axe(page) == []
    finally:
        context.close()
