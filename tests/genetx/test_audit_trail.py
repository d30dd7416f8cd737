"""The audit trail: many-to-many changes kept and reverted, change reasons, import labels."""

import pytest
from django.urls import reverse

from genetx.models import Status
from sources.models import Source
from tests.adminforms import form_data
from tests.factories import make_condition, make_modality, make_therapy
from tests.sources.test_admin_import import BIBTEX, confirm, preview
from tests.therapies.test_admin_csv import HEADER, dry_run
from tests.therapies.test_admin_csv import confirm as confirm_csv
from therapies.models import Therapy

pytestmark = pytest.mark.django_db


def change(client, obj, **values):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    data = form_data(client.get(url)) | values
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]


def test_condition_changes_are_recorded_and_reverted(client, editor):
    one, two = make_condition(name="One"), make_condition(name="Two")
    therapy = make_therapy(status=Status.DRAFT, conditions=[one])
    client.force_login(editor)
    change(client, therapy, conditions=[str(one.pk)], summary="First.")
    first = therapy.history.latest()
    assert [row.condition_id for row in first.conditions.all()] == [one.pk]
    change(client, therapy, conditions=[str(two.pk)], summary="Second.")
    latest = therapy.history.latest()
    assert [row.condition_id for row in latest.conditions.all()] == [two.pk]
    assert "conditions" in [c.field for c in latest.diff_against(first).changes]

    revert_url = reverse(
        "admin:therapies_therapy_simple_history", args=[therapy.pk, first.history_id]
    )
    response = client.post(revert_url, form_data(client.get(revert_url)))
    assert response.status_code == 302
    assert list(therapy.conditions.all()) == [one]
    assert Therapy.objects.get(pk=therapy.pk).summary == "First."


def test_optional_change_reason_is_kept_on_the_history_row(client, editor):
    therapy = make_therapy(status=Status.DRAFT)
    client.force_login(editor)
    change(client, therapy, summary="Corrected.", change_reason="Typo in the INN")
    row = therapy.history.latest()
    assert row.history_change_reason == "Typo in the INN" and row.history_user == editor
    change(client, therapy, summary="Again.")
    assert therapy.history.latest().history_change_reason in (None, "")


def test_bibtex_import_rows_are_labelled_with_file_and_user(client, editor):
    client.force_login(editor)
    confirm(client, preview(client, "references.bib", BIBTEX))
    rows = Source.history.filter(history_user=editor)
    assert rows.exists()
    assert {row.history_change_reason for row in rows} == {
        f"Imported from references.bib by {editor.username}"
    }


def test_csv_import_rows_are_labelled_with_file_and_user(client, editor):
    make_modality(slug="car-t", name="CAR-T")
    make_condition(slug="lymphoma", name="Lymphoma")
    client.force_login(editor)
    text = HEADER + "ari-0001,ARI-0001,product,car-t,lymphoma,in_use,A CAR-T.,draft\n"
    confirm_csv(client, dry_run(client, text, name="batch-7.csv"))
    therapy = Therapy.objects.get(slug="ari-0001")
    reasons = {row.history_change_reason for row in therapy.history.all()}
    assert reasons == {f"Imported from batch-7.csv by {editor.username}"}
    assert therapy.history.latest().history_user == editor
