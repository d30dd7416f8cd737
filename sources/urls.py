from django.urls import path

from . import views

app_name = "sources"

urlpatterns = [
    path("sources/", views.SourceListView.as_view(), name="source-list"),
    path("sources/<slug:key>/", views.SourceDetailView.as_view(), name="source-detail"),
    path(
        "sources/<slug:key>.bib",
        views.SourceDownloadView.as_view(file_format="bib"),
        name="source-bibtex",
    ),
    path(
        "sources/<slug:key>.ris",
        views.SourceDownloadView.as_view(file_format="ris"),
        name="source-ris",
    ),
    path(
        "sources/<slug:key>.json",
        views.SourceDownloadView.as_view(file_format="json"),
        name="source-csl",
    ),
    path("claims/", views.ClaimListView.as_view(), name="claim-list"),
    path("claims/<slug:slug>/", views.ClaimDetailView.as_view(), name="claim-detail"),
]
