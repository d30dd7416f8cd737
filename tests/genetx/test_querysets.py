"""What published(), in_review() and visible_to() mean, on every publishable model."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from tests.factories import make_therapy, make_user
from therapies.models import Therapy

pytestmark = pytest.mark.django_db


@pytest.fixture
def therapies():
    return {status: make_therapy(status=status) for status in ("draft", "review", "published")}


def test_published_is_only_published_records(therapies):
    assert list(Therapy.objects.published()) == [therapies["published"]]


def test_in_review_is_only_records_awaiting_a_decision(therapies):
    assert list(Therapy.objects.in_review()) == [therapies["review"]]


def test_archived_records_are_not_published():
    make_therapy(status="archived")
    assert not Therapy.objects.published().exists()


def test_anonymous_readers_see_published_records_only(therapies):
    assert list(Therapy.objects.visible_to(AnonymousUser())) == [therapies["published"]]


def test_staff_without_change_permission_see_published_records_only(therapies):
    staff = make_user(is_staff=True)
    assert list(Therapy.objects.visible_to(staff)) == [therapies["published"]]


def test_a_user_with_the_permission_but_not_staff_sees_published_records_only(therapies):
    user = make_user()
    user.user_permissions.add(Permission.objects.get(codename="change_therapy"))
    assert list(Therapy.objects.visible_to(user)) == [therapies["published"]]


def test_staff_who_may_change_the_model_see_drafts_too(therapies):
    editor = make_user(is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="change_therapy"))
    assert set(Therapy.objects.visible_to(editor)) == set(therapies.values())


def test_permission_on_another_model_does_not_reveal_drafts(therapies):
    editor = make_user(is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="change_condition"))
    assert list(Therapy.objects.visible_to(editor)) == [therapies["published"]]
