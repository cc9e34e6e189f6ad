"""The written answer, under /agents/reponses/: answer templates and the answer to one request."""

from django.urls import path

from . import views

app_name = "answers"
urlpatterns = [
    path("", views.template_list, name="list"),
    path("nouveau/", views.template_create, name="create"),
    path("<int:pk>/", views.template_edit, name="edit"),
    path("<int:pk>/activer/", views.template_toggle, name="toggle"),
    path("demande/<str:code>/", views.answer, name="answer"),
]
