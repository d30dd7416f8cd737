"""Small security helpers the settings point at."""

import ipaddress

from django.conf import settings


def client_ip_address(request) -> str | None:
    """The address a login attempt came from, for django-axes' lockout.

    Without a proxy this is REMOTE_ADDR. Behind TRUSTED_PROXY_COUNT proxies that each append
    to X-Forwarded-For, the client is that many entries from the right: entries further left
    are whatever the client chose to send and must not be trusted, or an attacker could pick
    a fresh address for every attempt. Anything that is not an IP address is ignored.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= count:
            candidate = forwarded[-count]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


# django-axes stores the username of a failed login in a 255-character column.
_AXES_USERNAME_LENGTH = 255


def login_username(request, credentials=None) -> str | None:
    """The username django-axes records for a login attempt, cut to what it can store.

    Django's login form accepts usernames of any length, and a longer one would make the
    attempt's database row fail to save (a server error on PostgreSQL instead of a lock).
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    return None if username is None else str(username)[:_AXES_USERNAME_LENGTH]
