"""The telephony system's webhook (mounted at /api/telephonie/, namespace `contact_centre_api`)."""

from django.urls import path

from . import api

app_name = "contact_centre_api"
urlpatterns = [
    path("appels-entrants/", api.incoming_call, name="incoming_call"),
]
