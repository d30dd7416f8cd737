"""Hostile BibTeX and RIS files are refused with a message, before they can grow a worker.

The files are small on purpose: each test asserts the refusal, never the explosion.
"""

import pytest
from django.urls import reverse

from sources.importing import ImportFileError, parse_bibtex, parse_ris
from sources.models import Source
from tests.sources.test_admin_import import IMPORT_URL, preview, upload

pytestmark = pytest.mark.django_db


def string_bomb(levels: int = 30) -> str:
    """@string s1 = s0 # s0, s2 = s1 # s1, ...: 2**30 characters from about 700 bytes when a
    parser expands strings inside strings (bibtexparser 1 did, eagerly)."""
    lines = ['@string{s0 = "ha"}']
    lines += [f"@string{{s{n} = s{n - 1} # s{n - 1}}}" for n in range(1, levels + 1)]
    lines.append(f"@article{{bomb, title = s{levels}, year = {{2024}}}}")
    return "\n".join(lines) + "\n"


def test_the_self_doubling_string_bomb_is_refused(client, editor):
    text = string_bomb()
    assert len(text.encode()) < 1024
    client.force_login(editor)
    response = preview(client, "bomb.bib", text)
    assert response.status_code == 200
    [error] = response.context["form"].errors["file"]
    assert "joins @string macros with #" in error
    assert "title of entry 'bomb'" in error
    assert "plan" not in response.context
    assert not Source.objects.exists()


def test_a_field_naming_a_plain_string_is_still_expanded():
    [row] = parse_bibtex(
        '@string{nejm = "New England Journal of Medicine"}\n'
        "@article{k, title = {T}, journal = nejm, year = {2024}, month = mar}\n"
    )
    assert row.values["container_title"] == "New England Journal of Medicine"
    assert row.values["issued_precision"] == "month"


def test_a_month_in_superscript_digits_is_refused_with_a_message():
    # "²" is a digit to str.isdigit() but not a number to int(): it raised ValueError.
    [row] = parse_bibtex("@article{k, title = {T}, year = {2024}, month = {²}}\n")
    assert row.values["issued"] is None
    assert any("is not a month" in message for message in row.errors.get("issued", []))


def test_too_many_entries_are_refused(settings):
    settings.IMPORT_MAX_ENTRIES = 3
    text = "".join(f"@misc{{k{n}, title = {{T{n}}}}}\n" for n in range(4))
    with pytest.raises(ImportFileError, match="The file has 4 entries; at most 3"):
        parse_bibtex(text)
    ris = "".join(f"TY  - GEN\nTI  - T{n}\nER  - \n\n" for n in range(4))
    with pytest.raises(ImportFileError, match="The file has 4 records; at most 3"):
        parse_ris(ris)


def test_an_oversized_field_is_refused(settings):
    settings.IMPORT_MAX_FIELD_CHARS = 100
    with pytest.raises(ImportFileError, match="Field title of entry 'k' is 101 characters"):
        parse_bibtex(f"@misc{{k, title = {{{'x' * 101}}}}}\n")
    with pytest.raises(ImportFileError, match="Field title of record 1 is 101 characters"):
        parse_ris(f"TY  - GEN\nTI  - {'x' * 101}\nER  - \n")


def test_a_string_repeated_by_many_entries_stays_within_the_field_limit(settings):
    """One long @string named by every entry: each field is checked after expansion."""
    settings.IMPORT_MAX_FIELD_CHARS = 100
    text = f'@string{{long = "{"x" * 101}"}}\n' + "".join(
        f"@misc{{k{n}, title = long}}\n" for n in range(3)
    )
    with pytest.raises(ImportFileError, match="Field title of entry 'k0' is 101 characters"):
        parse_bibtex(text)


def test_a_malformed_entry_names_its_line():
    text = "@misc{ok, title = {Fine}}\n\n@article{broken, title = {never closed\n"
    with pytest.raises(ImportFileError, match="entry starting on line 3 is malformed"):
        parse_bibtex(text)


def test_refusals_reach_the_editor_as_form_errors(client, editor, settings):
    settings.IMPORT_MAX_ENTRIES = 1
    client.force_login(editor)
    response = client.post(
        reverse(IMPORT_URL),
        {"file": upload("two.ris", "TY  - GEN\nTI  - A\nER  - \n\nTY  - GEN\nTI  - B\nER  - \n")},
    )
    assert "at most 1 can be imported at once" in response.context["form"].errors["file"][0]
