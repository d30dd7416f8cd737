"""History in the admin: who changed which fields when, and restoring an earlier version."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from genetx.models import Status
from tests.adminforms import form_data
from tests.factories import make_therapy
from therapies.models import Therapy

pytestmark = pytest.mark.django_db


def edit_summary(client, therapy, summary, **changes):
    url = reverse("admin:therapies_therapy_change", args=[therapy.pk])
    data = form_data(client.get(url)) | {"summary": summary, **changes}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]


def test_history_page_shows_who_changed_which_field(client, editor):
    therapy = make_therapy(status=Status.DRAFT, summary="First words.")
    client.force_login(editor)
    edit_summary(client, therapy, "Second words.")
    page = client.get(reverse("admin:therapies_therapy_history", args=[therapy.pk]))
    html = page.content.decode()
    assert "edna" in html
    assert "First words." in html and "Second words." in html
    latest = therapy.history.latest()
    assert latest.history_user == editor
    assert [change.field for change in latest.diff_against(latest.prev_record).changes] == [
        "summary"
    ]


def test_an_earlier_version_can_be_restored(client, editor):
    therapy = make_therapy(status=Status.DRAFT, summary="First words.")
    client.force_login(editor)
    edit_summary(client, therapy, "Second words.")
    first = therapy.history.earliest()
    revert_url = reverse(
        "admin:therapies_therapy_simple_history", args=[therapy.pk, first.history_id]
    )
    page = client.get(revert_url)
    assert page.status_code == 200
    response = client.post(revert_url, form_data(page))
    assert response.status_code == 302
    therapy.refresh_from_db()
    assert therapy.summary == "First words."
    assert therapy.history.count() == 3


def test_editor_cannot_republish_by_restoring_a_published_version(client, editor, publisher):
    therapy = make_therapy(status=Status.DRAFT)
    client.force_login(publisher)
    edit_summary(client, therapy, "Published words.", status="published")
    edit_summary(client, therapy, "Back to draft.", status="draft")
    published_version = therapy.history.filter(status="published").get()
    client.force_login(editor)
    revert_url = reverse(
        "admin:therapies_therapy_simple_history", args=[therapy.pk, published_version.history_id]
    )
    response = client.post(revert_url, form_data(client.get(revert_url)))
    assert response.status_code == 200
    assert "Only publishers may publish therapies" in response.content.decode()
    therapy.refresh_from_db()
    assert therapy.status == Status.DRAFT


def test_loading_a_fixture_creates_no_history_rows(tmp_path):
    fixture = tmp_path / "therapies.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "therapies.modality",
                    "fields": {"name": "CAR-T", "slug": "car-t", "delivery": "ex_vivo"},
                },
                {
                    "model": "therapies.therapy",
                    "fields": {
                        "name": "ARI-0001",
                        "slug": "ari-0001",
                        "kind": "product",
                        "summary": "A CAR-T made in a hospital.",
                        "status": "draft",
                        "created_at": "2024-01-01T00:00:00Z",
                        "updated_at": "2024-01-01T00:00:00Z",
                        "modality": ["car-t"],
                    },
                },
            ]
        )
    )
    call_command("loaddata", str(fixture), verbosity=0)
    therapy = Therapy.objects.get(slug="ari-0001")
    assert therapy.history.count() == 0
    assert therapy.modality.history.count() == 0
