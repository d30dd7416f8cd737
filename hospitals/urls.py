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
    path(
        "institutions/<slug:slug>/references.bib",
        views.InstitutionDetailView.as_download("bib"),
        name="institution-references-bib",
    ),
    path(
        "institutions/<slug:slug>/references.ris",
        views.InstitutionDetailView.as_download("ris"),
        name="institution-references-ris",
    ),
]
