from django.db import DatabaseError, connections
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView


class HomeView(TemplateView):
    template_name = "genetx/home.html"


@never_cache
@require_safe
def healthz(request):
    """200 when every configured database answers a trivial query, 503 otherwise."""
    checks = {}
    healthy = True
    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            checks[alias] = "ok"
        except DatabaseError:
            checks[alias] = "unavailable"
            healthy = False
    status = "ok" if healthy else "unavailable"
    return JsonResponse({"status": status, "databases": checks}, status=200 if healthy else 503)


@never_cache
def bench_baseline(request):
    """The benchmark's floor: the full middleware stack and a response, no template, no SQL."""
    return HttpResponse("ok", content_type="text/plain")
