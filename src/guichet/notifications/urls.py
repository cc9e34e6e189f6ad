"""Citizens' « Mes notifications », under /compte/notifications/."""

from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("tout-marquer-comme-lu/", views.mark_all_read, name="mark_all_read"),
    path("<int:pk>/", views.notification_detail, name="detail"),
]
