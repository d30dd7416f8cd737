from django.urls import path

from . import views

app_name = "therapies"

urlpatterns = [
    path("therapies/", views.TherapyListView.as_view(), name="therapy-list"),
    path("therapies/<slug:slug>/", views.TherapyDetailView.as_view(), name="therapy-detail"),
    # The page's whole reference list, for reference managers.
    path(
        "therapies/<slug:slug>/references.bib",
        views.TherapyDetailView.as_download("bib"),
        name="therapy-references-bib",
    ),
    path(
        "therapies/<slug:slug>/references.ris",
        views.TherapyDetailView.as_download("ris"),
        name="therapy-references-ris",
    ),
    path("conditions/", views.ConditionListView.as_view(), name="condition-list"),
    path("conditions/<slug:slug>/", views.ConditionDetailView.as_view(), name="condition-detail"),
    path(
        "conditions/<slug:slug>/references.bib",
        views.ConditionDetailView.as_download("bib"),
        name="condition-references-bib",
    ),
    path(
        "conditions/<slug:slug>/references.ris",
        views.ConditionDetailView.as_download("ris"),
        name="condition-references-ris",
    ),
]
