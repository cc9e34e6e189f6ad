"""The citizens' FAQ, under /questions-frequentes/."""

from django.urls import path

from . import public_views

app_name = "knowledge_public"
urlpatterns = [
    path("", public_views.faq, name="index"),
    path("<int:pk>/", public_views.sheet, name="sheet_short"),
    path("<int:pk>/<slug:slug>/", public_views.sheet, name="sheet"),
]
