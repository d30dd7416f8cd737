"""Request and response hardening Django does not do on its own: the CSP split, NUL headers."""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpResponseBadRequest


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's narrower exception applied by path.

    Public pages get CONTENT_SECURITY_POLICY unchanged. Pages under the admin URL also get
    ADMIN_CONTENT_SECURITY_POLICY_UPDATE added, because third-party admin templates we do
    not own (django-simple-history, django-import-export) still carry inline style
    attributes and one inline event handler. The exception is kept to the admin path,
    where only signed-in staff go.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        admin_update = getattr(settings, "ADMIN_CONTENT_SECURITY_POLICY_UPDATE", None)
        if admin_update and request.path_info.startswith(f"/{settings.ADMIN_URL}"):
            parts.update = {**admin_update, **(parts.update or {})}
        return parts


class RefuseNulHeadersMiddleware:
    """Answer 400 to a request whose headers contain a NUL byte.

    HTTP forbids NUL in header values, so no browser sends one; a request that does is
    malformed or probing. Refusing it here keeps the byte away from code that stores
    headers (django-axes records the User-Agent of failed logins), where PostgreSQL would
    reject it with a server error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                return HttpResponseBadRequest("Malformed request header.")
        return self.get_response(request)
