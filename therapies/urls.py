from django.urls import path

from . import views

app_name = "therapies"

urlpatterns = [
    path("therapies/", views.TherapyListView.as_view(), name="therapy-list"),
    path("therapies/<slug:slug>/", views.TherapyDetailView.as_view(), name="therapy-detail"),
    # The page's whole reference list, for reference managers (as on each detail page here).
    *views.TherapyDetailView.download_paths("therapies/<slug:slug>/"),
    path("trials/", views.TrialListView.as_view(), name="trial-list"),
    path("decisions/", views.DecisionListView.as_view(), name="decision-list"),
    path("trials/<slug:slug>/", views.TrialDetailView.as_view(), name="trial-detail"),
    *views.TrialDetailView.download_paths("trials/<slug:slug>/"),
    path("conditions/", views.ConditionListView.as_view(), name="condition-list"),
    path("conditions/<slug:slug>/", views.ConditionDetailView.as_view(), name="condition-detail"),
    *views.ConditionDetailView.download_paths("conditions/<slug:slug>/"),
]
