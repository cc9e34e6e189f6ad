"""Administrators' message-template editor, under /agents/admin/messages/."""

from django.urls import path

from . import views

app_name = "message_templates"
urlpatterns = [
    path("", views.template_list, name="list"),
    path("<str:key>/", views.template_edit, name="edit"),
    path("<str:key>/texte-par-defaut/", views.template_reset, name="reset"),
    path("<str:key>/essai/", views.template_test, name="test"),
]
