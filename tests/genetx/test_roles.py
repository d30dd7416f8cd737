import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from genetx.publishing import can_publish
from genetx.roles import ensure_roles
from sources.models import Claim
from tests.factories import make_modality
from therapies.models import Therapy

pytestmark = pytest.mark.django_db


@pytest.fixture
def migrated_roles():
    """The groups as the roles migrations leave them. A transactional test that ran earlier
    in the same worker flushes every table, the migrated groups included (the flush
    recreates permissions, not groups), so what the migrations run is run again: it is
    idempotent and resets the groups' permissions."""
    if Group.objects.filter(name__in=["Editor", "Publisher"]).count() != 2:
        ensure_roles(Group, Permission, strict=False)


def test_migrations_create_the_editor_and_publisher_groups(migrated_roles):
    groups = {group.name: group for group in Group.objects.all()}
    assert groups["Editor"].permissions.count() == 51
    assert groups["Publisher"].permissions.count() == 60


def test_setup_roles_runs_twice_without_duplicates_and_resets_permissions(capsys, migrated_roles):
    editor_group = Group.objects.get(name="Editor")
    editor_group.permissions.clear()
    call_command("setup_roles")
    call_command("setup_roles")
    assert Group.objects.filter(name__in=["Editor", "Publisher"]).count() == 2
    assert editor_group.permissions.count() == 51
    assert "Publisher: 60 permissions" in capsys.readouterr().out


def test_only_publishers_may_publish(editor, publisher):
    for model in (Therapy, Claim):
        assert not can_publish(editor, model)
        assert can_publish(publisher, model)
    assert editor.has_perm("therapies.change_therapy")
    assert editor.has_perm("sources.delete_claim")


def test_a_modality_has_no_draft_so_only_publishers_change_or_delete_one(client, editor, publisher):
    """A modality's name shows on every therapy of it at once: no edit may skip review."""
    modality = make_modality(slug="car-t", name="CAR-T")
    change_url = reverse("admin:therapies_modality_change", args=[modality.pk])
    form = {"name": "Renamed", "slug": "car-t", "delivery": "ex_vivo", "description": ""}

    client.force_login(editor)
    assert editor.has_perm("therapies.add_modality")
    assert client.get(change_url).status_code == 200  # read-only view
    assert client.post(change_url, {**form, "version": modality.version}).status_code == 403
    delete_url = reverse("admin:therapies_modality_delete", args=[modality.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    modality.refresh_from_db()
    assert modality.name == "CAR-T"

    client.force_login(publisher)
    assert publisher.has_perm("therapies.change_modality")
    assert publisher.has_perm("therapies.delete_modality")
