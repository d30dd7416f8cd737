"""Importing sources from BibTeX and RIS in the admin: preview, confirm, refusals, limits."""

import datetime

import pytest
from django.contrib.admin import helpers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from genetx.models import Status
from sources.models import Author, Source
from tests.factories import make_source

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:sources_source_import"

BIBTEX = r"""
@article{catala-2022,
  author = {Catal{\'a}, Elena and Iacoboni, Gloria and others},
  title = {{CAR-T} cells in Spain},
  journal = {Medicina Cl{\'\i}nica},
  year = {2022},
  month = mar,
  volume = {158},
  number = {7},
  pages = {327--332},
  doi = {10.1016/J.MEDCLI.2021.10.005}
}

@online{fda-2023,
  author = {{U.S. Food and Drug Administration}},
  title = {Elevidys approval},
  url = {https://www.fda.gov/elevidys},
  year = {2023}
}

@article{existing-doi,
  author = {Someone, A.},
  title = {A corrected title},
  journal = {Journal of Tests},
  year = {2021},
  doi = {https://doi.org/10.5555/EXISTING}
}

@article{bad-year,
  author = {Nobody, N.},
  title = {When?},
  year = {twenty twenty}
}

@patent{a-patent,
  author = {Inventor, I.},
  title = {A patent},
  year = {2020}
}
"""

RIS = """TY  - JOUR
AU  - Catalá, Elena
AU  - Iacoboni, Gloria
TI  - CAR-T cells in Spain
JO  - Medicina Clínica
PY  - 2022
DA  - 2022/03/01
SP  - 327
EP  - 332
DO  - 10.1016/j.medcli.2021.10.005
ER  -

TY  - NEWS
AU  - Reporter, R.
TI  - Hospital makes its own CAR-T
T2  - El País
DA  - 2024/05/14
UR  - https://elpais.com/example
ER  -
"""


def upload(name: str, content: str | bytes) -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def preview(client, name, content):
    return client.post(reverse(IMPORT_URL), {"file": upload(name, content)})


def confirm(client, preview_response):
    job = preview_response.context["confirm_form"]["job"].value()
    return client.post(reverse(IMPORT_URL), {"job": job, "confirm": "1"}, follow=True)


@pytest.fixture
def existing():
    # A draft: an editor's import updates it at once (a published one would become a
    # revision awaiting review; tests/genetx/test_revision_imports.py covers that).
    return make_source(
        key="old-key", doi="10.5555/existing", title="A wrong title", status=Status.DRAFT
    )


def test_preview_shows_each_row_and_saves_nothing(client, editor, existing):
    client.force_login(editor)
    response = preview(client, "refs.bib", BIBTEX)
    assert response.status_code == 200
    plan = response.context["plan"]
    assert [(p.row.number, p.action) for p in plan.rows] == [
        (1, "create"),
        (2, "create"),
        (3, "update"),
        (4, "refuse"),
        (5, "refuse"),
    ]
    assert Source.objects.count() == 1
    existing.refresh_from_db()
    assert existing.title == "A wrong title"
    html = response.content.decode()
    assert "Preview: nothing has been saved yet" in html
    assert "issued: the year &#x27;twenty twenty&#x27; is not a four-digit year." in html
    assert "kind: BibTeX type @patent is not one GeneTx records" in html


def test_confirm_creates_and_updates_and_names_refused_rows(client, editor, existing):
    client.force_login(editor)
    response = confirm(client, preview(client, "refs.bib", BIBTEX))
    messages = [str(message) for message in response.context["messages"]]
    assert messages[0] == "Import saved: 2 sources created (new sources are drafts), 1 updated."
    assert messages[1].startswith("2 refused: row 4 (bad-year): issued: the year")
    assert "row 5 (a-patent): kind: BibTeX type @patent" in messages[1]

    catala = Source.objects.get(key="catala-2022")
    assert catala.status == Status.DRAFT
    assert (catala.title, catala.container_title) == ("CAR-T cells in Spain", "Medicina Clínica")
    assert (catala.doi, catala.issued.isoformat(), catala.issued_precision) == (
        "10.1016/j.medcli.2021.10.005",
        "2022-03-01",
        "month",
    )
    assert catala.pages == "327-332"
    assert [(a.family, a.given, a.et_al) for a in catala.authors.all()] == [
        ("Catalá", "Elena", False),
        ("Iacoboni", "Gloria", True),
    ]
    fda = Source.objects.get(key="fda-2023")
    assert (fda.kind, fda.authors.get().literal) == (
        "web_article",
        "U.S. Food and Drug Administration",
    )
    # The DOI matched: the existing source was updated, not duplicated, and keeps its key.
    existing.refresh_from_db()
    assert (existing.key, existing.title) == ("old-key", "A corrected title")
    assert Source.objects.filter(doi="10.5555/existing").count() == 1
    assert Source.objects.count() == 3
    assert catala.history.latest().history_user == editor


def test_importing_the_same_file_twice_updates_instead_of_duplicating(client, editor):
    client.force_login(editor)
    confirm(client, preview(client, "refs.ris", RIS))
    response = preview(client, "refs.ris", RIS)
    assert [p.action for p in response.context["plan"].rows] == ["update", "update"]
    assert [p.changes for p in response.context["plan"].rows] == [[], []]
    confirm(client, response)
    assert Source.objects.count() == 2


def test_ris_import_reads_dates_kinds_and_authors(client, editor):
    client.force_login(editor)
    confirm(client, preview(client, "refs.ris", RIS))
    news = Source.objects.get(kind="news_article")
    assert news.key == "reporter-2024"
    assert (news.container_title, news.url) == ("El País", "https://elpais.com/example")
    assert (news.issued.isoformat(), news.issued_precision) == ("2024-05-14", "day")
    journal = Source.objects.get(kind="journal_article")
    assert (journal.key, journal.pages) == ("catala-2022", "327-332")


def test_a_doi_repeated_within_the_file_is_refused_on_its_second_row(client, editor):
    twice = RIS + RIS.replace("TY  - NEWS", "TY  - ELEC", 1)
    client.force_login(editor)
    plan = preview(client, "refs.ris", twice).context["plan"]
    refused = [p for p in plan.rows if p.action == "refuse"]
    assert [p.row.number for p in refused] == [3]
    assert refused[0].errors == [
        "doi: the DOI 10.1016/j.medcli.2021.10.005 is also in row 1 of this file."
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("refs.txt", "@article{x, title={y}}", "Choose a BibTeX (.bib) or RIS (.ris) file."),
        ("refs.bib", b"\x89PNG\r\n\x1a\n\x00\x00", "The file is not text"),
        ("refs.bib", "caf\xe9".encode("latin-1"), "The file is not UTF-8 text"),
        ("refs.bib", "just some words", "No BibTeX entries"),
        ("refs.ris", "not a RIS file at all", "RIS"),
        ("refs.bib", "x" * (2 * 1024 * 1024 + 1), "the limit is 2 MB"),
    ],
)
def test_unreadable_or_oversized_files_get_a_clear_error(client, editor, name, content, message):
    client.force_login(editor)
    response = preview(client, name, content)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert Source.objects.count() == 0


@pytest.mark.parametrize("job", ["forged", "5d0c7a9e-8b1f-4c2e-9a3d-6f1e2b3c4d5e"])
def test_a_tampered_confirmation_saves_nothing(client, editor, job):
    client.force_login(editor)
    response = client.post(reverse(IMPORT_URL), {"job": job, "confirm": "1"}, follow=True)
    assert response.status_code == 200
    assert "upload it again" in [str(m) for m in response.context["messages"]][0]
    assert Source.objects.count() == 0


def test_another_users_preview_cannot_be_confirmed(client, editor, publisher):
    client.force_login(publisher)
    job = preview(client, "refs.bib", BIBTEX).context["confirm_form"]["job"].value()
    client.force_login(editor)
    response = client.post(reverse(IMPORT_URL), {"job": job, "confirm": "1"}, follow=True)
    assert "upload it again" in [str(m) for m in response.context["messages"]][0]
    assert Source.objects.count() == 0


def test_a_preview_can_be_confirmed_once(client, editor):
    client.force_login(editor)
    response = preview(client, "refs.bib", BIBTEX)
    confirm(client, response)
    again = confirm(client, response)
    assert "upload it again" in [str(m) for m in again.context["messages"]][0]
    assert Source.objects.count() == 3


def test_anonymous_users_cannot_import(client):
    response = client.post(reverse(IMPORT_URL), {"file": upload("refs.bib", BIBTEX)})
    assert response.status_code == 302
    assert Source.objects.count() == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"kind": "journal_article", "doi": "10.1016/j.medcli.2021.10.005"},
        # BibTeX writes a news article as @misc and has no day: neither may overwrite.
        {"kind": "news_article", "issued": datetime.date(2024, 5, 14), "issued_precision": "day"},
    ],
)
def test_export_then_reimport_changes_nothing(client, editor, overrides):
    source = make_source(key="catala-2022", authors=[("Catalá", "Elena")], **overrides)
    client.force_login(editor)
    changelist = reverse("admin:sources_source_changelist")
    for action, name in (("export_bibtex", "refs.bib"), ("export_ris", "refs.ris")):
        response = client.post(
            changelist, {"action": action, helpers.ACTION_CHECKBOX_NAME: [source.pk]}
        )
        assert response.status_code == 200
        assert response["Content-Disposition"].endswith(f'{name.split(".")[1]}"')
        text = response.content.decode()
        assert "catala-2022" in text and "Catalá" in text
        plan = preview(client, name, text).context["plan"]
        assert [(p.action, p.changes) for p in plan.rows] == [("update", [])]
    assert Source.objects.count() == 1


def test_organisations_and_et_al_survive_an_export_and_reimport(client, editor):
    fda = make_source(key="fda-2023", kind="web_article")
    Author.objects.create(source=fda, position=1, literal="U.S. Food and Drug Administration")
    study = make_source(key="oliver-caldes-2023")
    Author.objects.create(source=study, position=1, family="Oliver-Caldés", given="A.", et_al=True)
    client.force_login(editor)
    changelist = reverse("admin:sources_source_changelist")
    for action, name in (("export_bibtex", "refs.bib"), ("export_ris", "refs.ris")):
        response = client.post(
            changelist, {"action": action, helpers.ACTION_CHECKBOX_NAME: [fda.pk, study.pk]}
        )
        plan = preview(client, name, response.content.decode()).context["plan"]
        assert {(p.row.label, p.action, tuple(p.changes)) for p in plan.rows} == {
            ("fda-2023", "update", ()),
            ("oliver-caldes-2023", "update", ()),
        }
