from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("therapies.urls")),
    path("", include("hospitals.urls")),
    path("", include("sources.urls")),
]

if settings.BENCH_BASELINE:
    urlpatterns.append(path("bench/baseline/", views.bench_baseline, name="bench-baseline"))
