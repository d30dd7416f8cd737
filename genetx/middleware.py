"""Request and response handling Django does not do on its own: the CSP split, NUL headers,
the admin's longer statement timeout."""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.db import connections
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


class AdminStatementTimeoutMiddleware:
    """Give admin requests ADMIN_STATEMENT_TIMEOUT instead of the page timeout.

    Web workers' PostgreSQL connections start with the short page timeout (settings), so a
    hung database fails a public page fast; admin work (big changelists, imports, publishing
    a therapy with its parts) may legitimately take longer. The setting is changed on the
    connection itself, not through a Django cursor, so it adds no query to any page's count,
    and is put back before the connection serves another request.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = "/" + settings.ADMIN_URL

    def __call__(self, request):
        if not request.path_info.startswith(self.prefix):
            return self.get_response(request)
        connection = connections["default"]
        if connection.vendor != "postgresql" or settings.PROCESS_KIND != "web":
            return self.get_response(request)
        self.set_timeout(connection, settings.ADMIN_STATEMENT_TIMEOUT)
        try:
            return self.get_response(request)
        finally:
            self.set_timeout(connection, settings.STATEMENT_TIMEOUT)

    @staticmethod
    def set_timeout(connection, seconds: float) -> None:
        if connection.connection is None:
            # Not connected yet: connecting now costs nothing extra, since the admin will
            # query anyway; a failure here is the 503 the request would have met.
            connection.ensure_connection()
        try:
            connection.connection.execute(
                "SELECT set_config('statement_timeout', %s, false)", [f"{round(seconds * 1000)}"]
            )
        except Exception:
            # A broken connection is Django's to close at the end of the request.
            if connection.connection is None or connection.connection.closed:
                return
            raise
