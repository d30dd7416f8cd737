"""The site's URLs plus one view that fails, to see the server error page as readers do."""

from django.urls import path

from genetx.urls import handler500  # noqa: F401 -- the site's error handler applies here too
from genetx.urls import urlpatterns as site_urlpatterns


def failing_view(request):
    raise RuntimeError("A failure the server error page must cover.")


urlpatterns = [*site_urlpatterns, path("fail/", failing_view)]
