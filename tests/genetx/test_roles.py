import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from genetx.publishing import can_publish
from sources.models import Claim
from therapies.models import Therapy

pytestmark = pytest.mark.django_db


def test_migrations_create_the_editor_and_publisher_groups():
    groups = {group.name: group for group in Group.objects.all()}
    assert groups["Editor"].permissions.count() == 53
    assert groups["Publisher"].permissions.count() == 60


def test_setup_roles_runs_twice_without_duplicates_and_resets_permissions(capsys):
    editor_group = Group.objects.get(name="Editor")
    editor_group.permissions.clear()
    call_command("setup_roles")
    call_command("setup_roles")
    assert Group.objects.filter(name__in=["Editor", "Publisher"]).count() == 2
    assert editor_group.permissions.count() == 53
    assert "Publisher: 60 permissions" in capsys.readouterr().out


def test_only_publishers_may_publish(editor, publisher):
    for model in (Therapy, Claim):
        assert not can_publish(editor, model)
        assert can_publish(publisher, model)
    assert editor.has_perm("therapies.change_therapy")
    assert editor.has_perm("sources.delete_claim")
