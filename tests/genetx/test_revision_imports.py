"""Imports through revisions: an editor's import never changes a published record directly."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from genetx.models import Revision, RevisionStatus, Status
from genetx.services import revision_approve
from hospitals.models import Institution
from sources.models import Source
from tests.factories import make_condition, make_institution, make_source, make_therapy
from therapies.models import Therapy

pytestmark = pytest.mark.django_db

HEADER = "slug,name,kind,modality,conditions,development_status,summary,mechanism,status\n"


def dry_run(client, text, model="therapies_therapy", **extra):
    upload = SimpleUploadedFile("rows.csv", text.encode(), content_type="text/csv")
    return client.post(
        reverse(f"admin:{model}_import"),
        {"resource": "0", "format": "0", "import_file": upload, **extra},
    )


def confirm(client, response, model="therapies_therapy"):
    form = response.context["confirm_form"]
    data = {name: form[name].value() for name in form.fields}
    data = {name: value for name, value in data.items() if value not in (None, False)}
    return client.post(reverse(f"admin:{model}_process_import"), data, follow=True)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_csv_row_updating_a_published_therapy_becomes_a_revision(client, editor, publisher):
    condition = make_condition(slug="dmd")
    therapy = make_therapy(slug="elevidys", name="Elevidys", summary="Live summary.")
    client.force_login(editor)
    text = HEADER + "elevidys,Elevidys,product,,dmd,,New summary.,,published\n"
    preview = dry_run(client, text)
    assert any("1 row changes published records" in m for m in messages_of(preview))
    (row,) = preview.context["result"].rows
    assert "Live" in " ".join(row.diff) and "New" in " ".join(row.diff)  # old -> new
    response = confirm(client, preview)
    assert any("submitted for review instead of going live" in m for m in messages_of(response))
    therapy.refresh_from_db()
    assert therapy.summary == "Live summary." and not therapy.conditions.exists()
    revision = Revision.objects.get()
    assert revision.status == RevisionStatus.SUBMITTED
    assert revision.data["changed"] == ["summary"]
    assert revision.data["m2m"] == {"conditions": [condition.pk]}
    revision_approve(revision=revision, user=publisher)
    therapy.refresh_from_db()
    assert therapy.summary == "New summary." and list(therapy.conditions.all()) == [condition]


def test_blank_csv_cell_keeps_the_stored_value(client, publisher):
    therapy = make_therapy(slug="gene-therapy", mechanism="How it works.", summary="S.")
    client.force_login(publisher)
    text = HEADER + "gene-therapy,Gene therapy,approach,,,,S.,,published\n"
    confirm(client, dry_run(client, text))
    therapy.refresh_from_db()
    assert therapy.mechanism == "How it works."
    assert therapy.name == "Gene therapy"


def test_blank_csv_cell_erases_only_when_asked(client, publisher):
    therapy = make_therapy(slug="gene-therapy", mechanism="How it works.", summary="S.")
    client.force_login(publisher)
    text = HEADER + "gene-therapy,Gene therapy,approach,,,,S.,,published\n"
    confirm(client, dry_run(client, text, erase_blank_cells="on"))
    therapy.refresh_from_db()
    assert therapy.mechanism == ""


def test_csv_update_of_a_record_with_pending_changes_is_refused(client, editor):
    therapy = make_therapy(slug="elevidys", summary="Live.")
    client.force_login(editor)
    text = HEADER + "elevidys,Elevidys,product,,,,First.,,published\n"
    confirm(client, dry_run(client, text))
    text = HEADER + "elevidys,Elevidys,product,,,,Second.,,published\n"
    response = dry_run(client, text)
    assert "has unpublished changes waiting for review" in response.content.decode()
    assert Revision.objects.get().data["fields"]["summary"] == "First."
    therapy.refresh_from_db()
    assert therapy.summary == "Live."


def test_csv_institution_update_by_an_editor_is_a_revision(client, editor):
    institution = make_institution(slug="clinic", name="Hospital Clínic", city="Barcelona")
    client.force_login(editor)
    text = (
        "slug,name,kind,city,region,country,website,ror_id,latitude,longitude,summary,status\n"
        "clinic,Hospital Clínic,hospital,Madrid,,,,,,,,published\n"
    )
    confirm(client, dry_run(client, text, model="hospitals_institution"), "hospitals_institution")
    institution.refresh_from_db()
    assert institution.city == "Barcelona"
    assert Revision.objects.get().data["fields"]["city"] == "Madrid"
    assert Institution.objects.count() == 1


BIBTEX = r"""
@article{old-key,
  author = {Catal{\'a}, Elena},
  title = {A corrected title},
  journal = {Medicina Clinica},
  year = {2022},
  doi = {10.5555/existing}
}
"""


def bib_preview(client):
    upload = SimpleUploadedFile("refs.bib", BIBTEX.encode())
    return client.post(reverse("admin:sources_source_import"), {"file": upload})


def bib_confirm(client, preview):
    job = preview.context["confirm_form"]["job"].value()
    return client.post(
        reverse("admin:sources_source_import"), {"job": job, "confirm": "1"}, follow=True
    )


def test_bibtex_reimport_of_a_published_source_becomes_a_revision(client, editor, publisher):
    source = make_source(key="old-key", doi="10.5555/existing", title="The published title")
    client.force_login(editor)
    preview = bib_preview(client)
    page = preview.content.decode()
    assert "Update of a published source, kept for review" in page
    assert "<del>The published title</del> → <ins>A corrected title</ins>" in page
    response = bib_confirm(client, preview)
    assert "1 change to published sources submitted for review" in " ".join(messages_of(response))
    source.refresh_from_db()
    assert source.title == "The published title" and source.status == Status.PUBLISHED
    revision = Revision.objects.get()
    revision_approve(revision=revision, user=publisher)
    source.refresh_from_db()
    assert source.title == "A corrected title"
    assert [a.family for a in source.authors.all()] == ["Catalá"]


def test_bibtex_import_by_a_publisher_updates_the_published_source(client, publisher):
    source = make_source(key="old-key", doi="10.5555/existing", title="The published title")
    client.force_login(publisher)
    bib_confirm(client, bib_preview(client))
    source.refresh_from_db()
    assert source.title == "A corrected title"
    assert not Revision.objects.exists()
    assert Source.objects.count() == 1
    assert Therapy.objects.count() == 0
