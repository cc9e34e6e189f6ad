"""Open311 GeoReport v2 on a collectivité's host, under /open311/v2/ (format by extension: .json or .xml)."""

from django.urls import re_path

from . import views

app_name = "open311"

FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})"
ID = r"(?P<{}>[^/]{{1,100}}?)"

urlpatterns = [
    re_path(rf"^discovery{FMT}$", views.discovery, name="discovery"),
    re_path(rf"^services{FMT}$", views.service_list, name="services"),
    re_path(rf"^services/{ID.format('service_code')}{FMT}$", views.service_definition, name="service"),
    re_path(rf"^requests{FMT}$", views.requests, name="requests"),
    re_path(rf"^requests/{ID.format('service_request_id')}{FMT}$", views.request_detail, name="request"),
    re_path(rf"^tokens/{ID.format('token_id')}{FMT}$", views.token, name="token"),
    re_path(rf"^servicerequestupdates{FMT}$", views.updates, name="updates"),
]
