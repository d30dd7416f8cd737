from django.urls import path

from . import views

app_name = "hospitals"

urlpatterns = [
    path("institutions/", views.InstitutionListView.as_view(), name="institution-list"),
    path(
        "institutions/<slug:slug>/",
        views.InstitutionDetailView.as_view(),
        name="institution-detail",
    ),
    *views.InstitutionDetailView.download_paths("institutions/<slug:slug>/"),
]
