"""Agents' own notifications (/agents/notifications/) and the collectivité's delivery log (/agents/envois/)."""

from django.urls import path

from . import views

app_name = "agent_notifications"
urlpatterns = [
    path("notifications/", views.agent_notification_list, name="list"),
    path("notifications/tout-marquer-comme-lu/", views.agent_mark_all_read, name="mark_all_read"),
    path("notifications/<int:pk>/", views.agent_notification_detail, name="detail"),
    path("envois/", views.delivery_list, name="delivery_list"),
    path("envois/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path("envois/<int:pk>/relancer/", views.delivery_retry, name="delivery_retry"),
]
