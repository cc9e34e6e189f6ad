"""Agents' pages of citizen records, mounted at /agents/usagers/ (namespace citizen_records)."""

from django.urls import path

from . import views

app_name = "citizen_records"
urlpatterns = [
    path("", views.search, name="search"),
    path("nouveau/", views.create, name="create"),
    path("nouvelle-demande/", views.start_without_record, name="start_without_record"),
    path("<int:pk>/", views.record, name="record"),
    path("<int:pk>/nouvelle-demande/", views.start, name="start"),
    path("<int:pk>/invitation/", views.invite, name="invite"),
    path("<int:pk>/brouillons/<str:code>/reprendre/", views.take_over, name="take_over"),
]
