from django.urls import path

from . import api_views

app_name = "mailroom_api"
urlpatterns = [
    path("entrants/", api_views.inbound_email, name="inbound"),
]
