"""Citizens' OpenID Connect URLs, under /compte/identite/ on a collectivité's host."""

from django.urls import path

from . import views

app_name = "oidc"
urlpatterns = [
    path("", views.identities, name="identities"),
    path("retour/", views.callback, name="callback"),
    path("<int:pk>/delier/", views.unlink, name="unlink"),
    path("<slug:slug>/", views.start, name="start"),
]
