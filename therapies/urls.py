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
    path("trials/", views.TrialListView.as_view(), name="trial-list"),
    path("decisions/", views.DecisionListView.as_view(), name="decision-list"),
    path("trials/<slug:slug>/", views.TrialDetailView.as_view(), name="trial-detail"),
    path(
        "trials/<slug:slug>/references.bib",
        views.TrialDetailView.as_download("bib"),
        name="trial-references-bib",
    ),
    path(
        "trials/<slug:slug>/references.ris",
        views.TrialDetailView.as_download("ris"),
        name="trial-references-ris",
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
