"""/api/v1/ on a collectivité's host: the NinjaAPI of core.py with its routers, then a 404 problem for any other
path (so that nothing under /api/v1/ answers the HTML error page)."""

from django.urls import re_path

from .core import api, mount_routers, unknown_path

app_name = "api"

mount_routers()
urlpatterns = [*api.urls[0], re_path(r"^.*$", unknown_path, name="unknown")]
