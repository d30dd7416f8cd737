from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemaps_views
from django.urls import include, path, re_path

from . import views
from .api.api import api, declare_query_parameters
from .api.views import api_not_found, open_data, open_data_file
from .audit import audit_log_view
from .cache import query_params
from .data_health import data_health_view
from .feeds import LatestUpdatesFeed
from .i18n import choose_admin_language
from .sitemaps import SITEMAPS

# A database that is down or too slow answers 503, not 500 (see the view).
handler500 = "genetx.views.server_error"

# Outside the language prefix: one address for machines and editors (the sitemap lists
# every language's pages itself), in English.
urlpatterns = [
    # An index of one sitemap per section (genetx/sitemaps.py); a section's view reads its
    # page number from ?p= (genetx.cache.CanonicalQueryMiddleware).
    path(
        "sitemap.xml",
        query_params()(sitemaps_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        query_params("p")(sitemaps_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
    path("healthz", views.healthz, name="healthz"),
    # Editors' site-wide pages, inside the admin's address and login.
    path(
        f"{settings.ADMIN_URL}audit-log/",
        admin.site.admin_view(lambda request: audit_log_view(request, admin.site)),
        name="audit-log",
    ),
    path(
        f"{settings.ADMIN_URL}data-health/",
        admin.site.admin_view(lambda request: data_health_view(request, admin.site)),
        name="data-health",
    ),
    # The admin's language form (its header); open to the login page, so not admin_view.
    path(f"{settings.ADMIN_URL}language/", choose_admin_language, name="admin-language"),
    path("open-data/<str:name>", open_data_file, name="open-data-file"),
    path("api/v1/", declare_query_parameters(api.urls)),
    # Anything else under /api/ is a JSON 404, not the site's HTML page.
    re_path(r"^api/", api_not_found),
    path(settings.ADMIN_URL, admin.site.urls),
]

# Reader pages, in every language of settings.LANGUAGES: English where they always were,
# the others under their prefix (/es/therapies/); an unknown prefix (/fr/) matches nothing
# and is a 404 (genetx.i18n).
urlpatterns += i18n_patterns(
    path("", views.HomeView.as_view(), name="home"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("timeline/", views.TimelineView.as_view(), name="timeline"),
    path("feed.atom", LatestUpdatesFeed(), name="feed"),
    path("open-data/", open_data, name="open-data"),
    path("", include("therapies.urls")),
    path("", include("hospitals.urls")),
    path("", include("sources.urls")),
    prefix_default_language=False,
)

if settings.BENCH_BASELINE:
    urlpatterns.append(path("bench/baseline/", views.bench_baseline, name="bench-baseline"))
