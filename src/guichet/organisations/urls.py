from django.urls import path

from . import views

app_name = "organisations"
urlpatterns = [
    path("", views.home, name="home"),
    path("mentions-legales/", views.legal_notices, name="legal_notices"),
    path("logo", views.logo, name="logo"),
]
