"""Queue actions, mounted at /agents/files/ (the queue itself is `agent_requests:list`, /agents/demandes/)."""

from django.urls import path

from . import views

app_name = "queues"
urlpatterns = [
    path("lot/", views.bulk, name="bulk"),
    path("vues/", views.saved_view_create, name="saved_view_create"),
    path("vues/<int:pk>/", views.saved_view, name="saved_view"),
    path("vues/<int:pk>/supprimer/", views.saved_view_delete, name="saved_view_delete"),
    path("demandes/<str:code>/attribution/", views.assign, name="assign"),
    path("demandes/<str:code>/priorite/", views.priority, name="priority"),
]
