from django.urls import path

from . import views

app_name = "therapies"

urlpatterns = [
    path("therapies/", views.TherapyListView.as_view(), name="therapy-list"),
    path("therapies/<slug:slug>/", views.TherapyDetailView.as_view(), name="therapy-detail"),
    path("trials/", views.TrialListView.as_view(), name="trial-list"),
    path("trials/<slug:slug>/", views.TrialDetailView.as_view(), name="trial-detail"),
    path("conditions/", views.ConditionListView.as_view(), name="condition-list"),
    path("conditions/<slug:slug>/", views.ConditionDetailView.as_view(), name="condition-detail"),
]
