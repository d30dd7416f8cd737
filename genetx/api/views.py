"""Plain Django views around the API."""

from django.conf import settings
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from . import opendata


def api_not_found(request):
    """An unknown address under /api/: JSON, as API clients expect, not the HTML 404 page."""
    return JsonResponse({"detail": "Not found.", "errors": {}}, status=404)


def open_data(request):
    """The Open data page: the dated dumps already written, and where the API is."""
    return render(
        request,
        "genetx/open_data.html",
        {
            "dumps": opendata.available(settings.OPEN_DATA_DIR),
            "license": opendata.LICENSE,
            "api_root": request.build_absolute_uri(reverse("api:api-root")),
            "canonical_url": request.build_absolute_uri(request.path),
        },
    )


def open_data_file(request, name):
    """One file of a dump, as written by `manage.py export_open_data`; nothing is built here.

    Only names of the dump pattern are served, so no other file of the folder is reachable.
    """
    if not opendata.FILE_PATTERN.match(name):
        raise Http404("No such file.")
    path = settings.OPEN_DATA_DIR / name
    if not path.is_file():
        raise Http404("No such file.")
    content_type = "application/json" if name.endswith(".json") else None
    return FileResponse(
        path.open("rb"),
        as_attachment=not name.endswith(".json"),
        filename=name,
        content_type=content_type,
    )
