"""/api/v1/ on a collectivité's host: the NinjaAPI of core.py with its routers."""

from django.urls import path

from .core import api

urlpatterns = [path("", api.urls)]
