"""Repeated failed admin logins lock out that username from that address (django-axes)."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from tests.factories import make_user

pytestmark = pytest.mark.django_db

LOGIN = f"/{settings.ADMIN_URL}login/"


@pytest.fixture(autouse=True)
def throttling(settings):
    """Switch django-axes on as production has it (tests/settings.py turns it off)."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    return settings


@pytest.fixture
def editor():
    return make_user(username="editor", is_staff=True)


def attempt(client, username, password, address="203.0.113.7"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": f"/{settings.ADMIN_URL}"},
        REMOTE_ADDR=address,
    )


def fail(client, username="editor", times=1, address="203.0.113.7"):
    for _ in range(times):
        response = attempt(client, username, "wrong password", address)
    return response


def test_failed_logins_below_the_limit_show_the_normal_form_error(client, editor):
    response = fail(client, times=2)
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()


def test_reaching_the_limit_locks_out_with_a_clear_message(client, editor):
    response = fail(client, times=3)
    assert response.status_code == 429
    assert "axes/lockout.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert "Sign-in temporarily locked" in page
    assert "3 failed sign-in attempts" in page
    assert "Try again in 30\xa0minutes" in page


def test_locked_out_user_cannot_log_in_even_with_the_right_password(client, editor):
    fail(client, times=3)
    response = attempt(client, "editor", "pw-editor")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username_and_address_pair(client, editor):
    other = make_user(username="other", is_staff=True)
    fail(client, times=3)
    # Same user from another address, and another user from the same address, still log in.
    assert attempt(client, "editor", "pw-editor", address="198.51.100.9").status_code == 302
    client.logout()
    assert attempt(client, other.username, f"pw-{other.username}").status_code == 302


def test_lockout_ends_after_the_cool_off_period(client, editor):
    fail(client, times=3)
    assert attempt(client, "editor", "pw-editor").status_code == 429
    # Age the recorded attempts past the cool-off instead of waiting for it.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=1)
    )
    assert attempt(client, "editor", "pw-editor").status_code == 302


def test_axes_reset_command_lifts_a_lockout(client, editor):
    fail(client, times=3)
    assert attempt(client, "editor", "pw-editor").status_code == 429
    call_command("axes_reset_username", "editor")
    assert attempt(client, "editor", "pw-editor").status_code == 302


def test_full_axes_reset_lifts_every_lockout(client, editor):
    fail(client, times=3)
    call_command("axes_reset")
    assert not AccessAttempt.objects.exists()
    assert attempt(client, "editor", "pw-editor").status_code == 302


def test_a_successful_login_clears_earlier_failures(client, editor):
    fail(client, times=2)
    assert attempt(client, "editor", "pw-editor").status_code == 302
    client.logout()
    # Two more failures would have been four in a row without the reset; still below limit.
    assert fail(client, times=2).status_code == 200


def test_attempts_during_a_lockout_do_not_extend_it(client, editor):
    fail(client, times=3)
    first_lock = AccessAttempt.objects.get().attempt_time
    fail(client, times=2)
    assert AccessAttempt.objects.get().attempt_time == first_lock


def test_forwarded_address_is_used_behind_a_trusted_proxy(client, editor, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(3):
        client.post(
            LOGIN,
            {"username": "editor", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="192.0.2.55, 203.0.113.7",
        )
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"


def test_a_forged_forwarded_address_is_ignored(client, editor, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        LOGIN,
        {"username": "editor", "password": "wrong"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="not-an-address",
    )
    assert AccessAttempt.objects.get().ip_address == "10.0.0.1"


def test_without_a_proxy_the_forwarded_header_is_not_trusted(client, editor):
    client.post(
        LOGIN,
        {"username": "editor", "password": "wrong"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.55",
    )
    assert AccessAttempt.objects.get().ip_address == "10.0.0.1"


def test_test_client_login_and_force_login_work_with_throttling_off(settings, client, editor):
    settings.AXES_ENABLED = False
    assert client.login(username="editor", password="pw-editor")
    client.logout()
    client.force_login(editor)
    assert client.get(f"/{settings.ADMIN_URL}").status_code == 200


def test_an_overlong_username_is_throttled_not_a_server_error(client, editor):
    long_name = "x" * 400
    for _ in range(3):
        response = attempt(client, long_name, "wrong")
    assert response.status_code == 429
    assert AccessAttempt.objects.get().username == long_name[:255]


def test_a_nul_byte_in_a_header_is_refused_not_a_server_error(client, editor):
    response = client.post(
        LOGIN,
        {"username": "editor", "password": "wrong"},
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="agent\x00with nul",
    )
    assert response.status_code == 400
    assert not AccessAttempt.objects.exists()
