"""Mounted once at the root of a collectivité's host: the receipt callback and the administrators' page."""

from django.urls import include, path

urlpatterns = [
    path("sms/", include("guichet.sms.receipt_urls")),
    path("agents/admin/sms/", include("guichet.sms.admin_urls")),
]
