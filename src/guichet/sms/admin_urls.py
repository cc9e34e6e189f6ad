from django.urls import path

from . import views

app_name = "sms_admin"
urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("essai/", views.send_test, name="test"),
]
