"""Administrators' pages for the collectivité's identity providers, under /agents/admin/identite/."""

from django.urls import path

from . import admin_views

app_name = "oidc_admin"
urlpatterns = [
    path("", admin_views.provider_list, name="list"),
    path("nouveau/", admin_views.provider_create, name="create"),
    path("<int:pk>/", admin_views.provider_edit, name="edit"),
    path("<int:pk>/supprimer/", admin_views.provider_delete, name="delete"),
]
