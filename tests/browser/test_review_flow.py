"""The review flow of a published record, in a real browser, and two people editing at once.

An editor changes a published therapy; readers keep the old text; a publisher compares and
rejects with a comment; the editor revises and resubmits; the publisher approves; readers
get the new text. Screenshots land in test-artifacts/screenshots/ (review-*.png).
"""

import pytest

from tests.browser.conftest import screenshot
from tests.factories import make_therapy, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(browser, base: str, username: str):
    page = browser.new_context(base_url=base).new_page()
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return page


def reader_text(browser, base: str, path: str) -> str:
    context = browser.new_context(base_url=base)
    page = context.new_page()
    response = page.goto(path)
    assert response.status == 200
    text = page.inner_text("main")
    context.close()
    return text


def open_in_queue(page, name: str) -> None:
    page.goto("/admin/genetx/revision/")
    page.click(f"#result_list a:has-text('{name}')")
    page.wait_for_selector("#revision-meta")


def test_editor_proposes_publisher_rejects_then_approves(live_server, browser, editor, publisher):
    therapy = make_therapy(
        name="Elevidys",
        slug="elevidys",
        summary="A gene therapy for Duchenne muscular dystrophy.",
    )
    change = f"/admin/therapies/therapy/{therapy.pk}/change/"

    # The editor changes the published therapy and submits the change for review.
    editor_page = log_in(browser, live_server.url, "edna")
    editor_page.goto(change)
    editor_page.fill("#id_summary", "A gene therapy for Duchenne, given once by infusion.")
    editor_page.click("input[name=_submit_revision]")
    assert "were submitted for review" in editor_page.inner_text("ul.messagelist")
    screenshot(editor_page, "review-submitted")

    # Readers still see the published text.
    text = reader_text(browser, live_server.url, "/therapies/elevidys/")
    assert "A gene therapy for Duchenne muscular dystrophy." in text
    assert "given once by infusion" not in text

    # The publisher finds it in the queue, compares, and rejects with a comment.
    publisher_page = log_in(browser, live_server.url, "pablo")
    assert "1 change awaiting review" in publisher_page.inner_text("#review-queue-summary")
    open_in_queue(publisher_page, "Elevidys")
    compare = publisher_page.inner_text("#field-changes")
    assert "Summary" in compare
    removed = " ".join(publisher_page.locator("#field-changes del").all_inner_texts())
    added = " ".join(publisher_page.locator("#field-changes ins").all_inner_texts())
    assert "muscular dystrophy." in removed and "given once by infusion." in added
    screenshot(publisher_page, "review-compare")
    publisher_page.fill("#id_comment", "Say which patients it is approved for, with a source.")
    publisher_page.click("#reject-form input[type=submit]")
    assert "were rejected" in publisher_page.inner_text("ul.messagelist")

    # The editor sees the comment on the record, revises and resubmits.
    editor_page.goto(change)
    notice = editor_page.inner_text("#revision-notice")
    assert "Rejected by pablo: “Say which patients it is approved for, with a source.”" in notice
    assert editor_page.input_value("#id_summary") == (
        "A gene therapy for Duchenne, given once by infusion."
    )
    screenshot(editor_page, "review-rejected")
    editor_page.fill("#id_summary", "A gene therapy for boys with Duchenne aged 4 to 5.")
    editor_page.click("input[name=_submit_revision]")
    assert "were submitted for review" in editor_page.inner_text("ul.messagelist")

    # The publisher previews and approves; readers get the new text.
    open_in_queue(publisher_page, "Elevidys")
    publisher_page.click("#preview-link")
    assert "Unpublished changes — not public." in publisher_page.inner_text("body")
    assert "boys with Duchenne aged 4 to 5" in publisher_page.inner_text("main")
    screenshot(publisher_page, "review-preview")
    open_in_queue(publisher_page, "Elevidys")
    publisher_page.click("#approve-form input[type=submit]")
    assert "were approved" in publisher_page.inner_text("ul.messagelist")

    text = reader_text(browser, live_server.url, "/therapies/elevidys/")
    assert "A gene therapy for boys with Duchenne aged 4 to 5." in text


def test_second_of_two_sessions_is_refused_with_the_others_change(live_server, browser, roles):
    therapy = make_therapy(name="Kymriah", slug="kymriah", summary="First text.", status="draft")
    make_user(username="olga", groups=[roles["Publisher"]])
    make_user(username="pia", groups=[roles["Publisher"]])
    change = f"/admin/therapies/therapy/{therapy.pk}/change/"
    first = log_in(browser, live_server.url, "olga")
    second = log_in(browser, live_server.url, "pia")
    first.goto(change)
    second.goto(change)

    first.fill("#id_summary", "Olga's text.")
    first.click("input[name=_continue]")
    assert "was changed successfully" in first.inner_text("ul.messagelist")

    second.fill("#id_mechanism", "Pia's mechanism.")
    second.click("input[name=_continue]")
    errors = second.inner_text("ul.errorlist.nonfield")
    assert "Not saved: this record changed since you opened it." in errors
    assert "olga saved it at" in errors
    assert "Summary: “First text.” → “Olga's text.”" in errors
    screenshot(second, "review-conflict")
    # Pia's change is still in her form, and Olga's is now there too; saving again applies
    # Pia's on top of Olga's without undoing it.
    assert second.input_value("#id_mechanism") == "Pia's mechanism."
    assert second.input_value("#id_summary") == "Olga's text."
    second.click("input[name=_continue]")
    assert "was changed successfully" in second.inner_text("ul.messagelist")
    therapy.refresh_from_db()
    assert (therapy.summary, therapy.mechanism) == ("Olga's text.", "Pia's mechanism.")
