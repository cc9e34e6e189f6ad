"""URLs of the bare platform host: the list of collectivités and the operators' admin."""

from django.contrib import admin
from django.urls import include, path

from guichet.notifications.bounces import receive_bounce
from guichet.organisations import views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("notifications/rebonds/<str:token>/", receive_bounce, name="notification_bounces"),
    path("", views.platform_home, name="platform_home"),
]

handler404 = "guichet.organisations.views.not_found"
