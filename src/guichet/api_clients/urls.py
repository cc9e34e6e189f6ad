"""Administrators' pages of the API clients (/agents/admin/api/)."""

from django.urls import path

from . import views

app_name = "api_clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("nouveau/", views.client_create, name="create"),
    path("<int:pk>/", views.client_edit, name="edit"),
    path("<int:pk>/revoquer/", views.client_revoke, name="revoke"),
    path("<int:pk>/renouveler/", views.client_renew, name="renew"),
]
