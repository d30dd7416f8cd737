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
