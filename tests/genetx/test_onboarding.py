"""Admin onboarding: a role gives admin access; a user without one is told so, not locked out."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings

from tests.factories import make_user

pytestmark = pytest.mark.django_db

LOGIN = f"/{settings.ADMIN_URL}login/"


def test_adding_a_user_to_a_role_gives_admin_access(client, roles):
    user = make_user(username="newbie")
    assert not user.is_staff
    user.groups.add(roles["Editor"])
    user.refresh_from_db()
    assert user.is_staff
    client.force_login(user)
    assert client.get(f"/{settings.ADMIN_URL}").status_code == 200


def test_adding_users_from_the_group_side_gives_admin_access(roles):
    user = make_user(username="newbie")
    roles["Publisher"].user_set.add(user)
    user.refresh_from_db()
    assert user.is_staff


def test_leaving_every_role_takes_admin_access_away(roles):
    user = make_user(username="leaver", groups=[roles["Editor"]])
    user.groups.remove(roles["Editor"])
    user.refresh_from_db()
    assert not user.is_staff


def test_staff_made_by_hand_for_another_reason_keep_it(roles):
    from django.contrib.auth.models import Permission

    user = make_user(username="auditor", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_therapy"))
    user.groups.add(roles["Editor"])
    user.groups.remove(roles["Editor"])
    user.refresh_from_db()
    assert user.is_staff


@pytest.fixture
def throttling(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    return settings


def login(client, username, password):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": f"/{settings.ADMIN_URL}"},
        REMOTE_ADDR="203.0.113.9",
    )


def test_non_staff_login_is_told_why_and_not_locked_out(client, throttling):
    make_user(username="reader")
    for _ in range(4):
        response = login(client, "reader", "pw-reader")
        assert response.status_code == 200
        assert "this account has no access to the editors&#x27; admin yet" in (
            response.content.decode()
        )
    assert not AccessAttempt.objects.filter(username="reader", failures_since_start__gt=0).exists()


def test_wrong_password_still_counts_toward_the_lockout(client, throttling):
    make_user(username="reader")
    login(client, "reader", "wrong")
    assert login(client, "reader", "wrong").status_code == 429
