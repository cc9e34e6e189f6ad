"""Duplicates, merges, links and recurring problems (mounted at /agents/doublons/)."""

from django.urls import path

from . import views

app_name = "duplicates"
urlpatterns = [
    path("recurrents/", views.recurring, name="recurring"),
    path("<str:code>/regrouper/", views.merge, name="merge"),
    path("<str:code>/lier/", views.link, name="link"),
    path("<str:code>/liens/<int:pk>/retirer/", views.unlink, name="unlink"),
]
