"""An editor writes a therapy, a publisher publishes it, a reader sees it: in a real browser.

Screenshots of each admin page go to test-artifacts/screenshots/ for a human to look at.
"""

import re

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.factories import make_modality, make_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"editor-flow-{name}.png"), full_page=True)


def log_in(browser, base: str, username: str, password: str):
    page = browser.new_context(base_url=base).new_page()
    page.goto("/admin/login/")
    shoot(page, f"login-{username}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return page


def choose_autocomplete(page, container: str, term: str, option: str) -> None:
    """Pick an option in one of the admin's select2 autocomplete fields."""
    page.click(f"{container} .select2-selection")
    page.fill(".select2-search__field", term)
    page.click(f".select2-results__option:has-text('{option}')")


def run_action(page, action_label: str, row_text: str) -> str:
    row = page.locator("#result_list tbody tr", has_text=row_text)
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", label=action_label)
    page.click("button[name=index]")
    return page.locator("ul.messagelist").inner_text()


def test_editor_writes_publisher_publishes_reader_reads(live_server, browser, editor, publisher):
    make_modality(name="CAR-T", slug="car-t")
    make_source(
        key="catala-2022",
        title="CAR-T cells in Spain",
        authors=[("Catalá", "Elena"), ("Iacoboni", "Gloria")],
    )

    # The editor writes a therapy with one claim, then cites a source on the claim's page.
    page = log_in(browser, live_server.url, "edna", "pw-edna")
    page.goto("/admin/therapies/therapy/add/")
    page.locator("#id_name").press_sequentially("ARI-0001")
    assert page.input_value("#id_slug") == "ari-0001"  # prepopulated as the name is typed
    page.fill("#id_summary", "A CAR-T cell therapy made by a hospital.")
    page.click("#claims-group .add-row a")
    page.fill("#id_claims-0-slug", "ari-0001-first-patients")
    page.fill("#id_claims-0-statement", "The first patients were treated in 2017.")
    shoot(page, "therapy-add")
    page.click("input[name=_continue]")
    assert "was added successfully" in page.locator("ul.messagelist").inner_text()
    shoot(page, "therapy-change")

    page.click("#claims-group a.inlinechangelink")
    choose_autocomplete(page, "#citations-0", "Catal", "Catalá & Iacoboni (2022)")
    page.fill("#id_citations-0-locator", "p. 329")
    shoot(page, "claim-change")
    page.click("input[name=_save]")
    assert "was changed successfully" in page.locator("ul.messagelist").inner_text()

    # Preview: the draft at its public address, with the banner only staff see.
    page.goto("/admin/therapies/therapy/")
    page.click("text=ARI-0001")
    page.click("a.viewsitelink")
    page.wait_for_url("**/therapies/ari-0001/")
    assert "Draft — not public" in page.inner_text("body")
    shoot(page, "preview")

    page.goto("/admin/therapies/therapy/")
    message = run_action(page, "Submit for review", "ARI-0001")
    assert "1 therapy submitted for review." in message
    shoot(page, "submitted")
    # An editor is not offered the publishing actions.
    options = page.locator("select[name=action] option").all_inner_texts()
    assert not [option for option in options if option.startswith("Publish")]

    # The publisher publishes the therapy with its claim.
    page = log_in(browser, live_server.url, "pablo", "pw-pablo")
    page.goto("/admin/therapies/therapy/?status__exact=review")
    shoot(page, "review-queue")
    message = run_action(page, "Publish (with its draft programmes and claims)", "ARI-0001")
    assert "1 therapy published, with 0 programmes and 1 claim." in message
    shoot(page, "published")

    # An anonymous reader sees the therapy, its claim and the claim's source.
    reader = browser.new_context(base_url=live_server.url).new_page()
    response = reader.goto("/therapies/ari-0001/")
    assert response.status == 200
    body = reader.inner_text("body")
    assert "Draft — not public" not in body
    assert "The first patients were treated in 2017." in body
    assert re.search(r"Catalá, E\., & Iacoboni, G\. \(2022\)", body)


def test_editor_imports_sources_after_a_preview(live_server, browser, editor, tmp_path):
    bib = tmp_path / "references.bib"
    bib.write_text(
        "@article{catala-2022,\n"
        "  author = {Catal{\\'a}, Elena and Iacoboni, Gloria},\n"
        "  title = {CAR-T cells in Spain},\n"
        "  journal = {Medicina Clinica},\n"
        "  year = {2022},\n"
        "  doi = {10.1016/j.medcli.2021.10.005}\n"
        "}\n"
        "@patent{a-patent, author = {Inventor, I.}, title = {A patent}, year = {2020}}\n",
        encoding="utf-8",
    )
    page = log_in(browser, live_server.url, "edna", "pw-edna")
    page.goto("/admin/sources/source/")
    page.click("text=Import BibTeX or RIS")
    page.set_input_files("#id_file", str(bib))
    page.click("input[value='Preview import']")
    preview = page.locator("#import-preview").inner_text()
    assert "Create (draft)" in preview
    assert "kind: BibTeX type @patent is not one GeneTx records" in preview
    shoot(page, "import-preview")
    page.click("input[name=confirm]")
    message = page.locator("ul.messagelist").inner_text()
    assert "Import saved: 1 source created (new sources are drafts), 0 updated." in message
    assert "row 2 (a-patent): kind:" in message
    shoot(page, "import-done")
    assert page.locator("#result_list").inner_text().count("catala-2022") == 1
