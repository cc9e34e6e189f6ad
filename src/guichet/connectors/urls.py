"""The connectors' administration, under /agents/admin/connecteurs/ (namespace `connectors`)."""

from django.urls import path

from . import views

app_name = "connectors"
urlpatterns = [
    path("", views.connector_list, name="list"),
    path("nouveau/", views.create, name="create"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/tester/", views.test, name="test"),
    path("<int:pk>/activer/", views.toggle, name="toggle"),
]
