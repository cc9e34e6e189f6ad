"""Ratings and reopening (mounted at the root of a collectivité's host): citizens' and agents' URLs."""

from django.urls import path

from . import views

app_name = "satisfaction"
urlpatterns = [
    path("demandes/<str:code>/avis/", views.rate, name="rate"),
    path("demandes/<str:code>/reouverture/", views.reopen, name="reopen"),
    path("agents/demandes/<str:code>/reouvertures/<int:pk>/", views.decide, name="decide"),
    path("agents/demandes/<str:code>/reouvertures/<int:pk>/accepter/", views.accept, name="accept"),
    path("agents/demandes/<str:code>/reouvertures/<int:pk>/refuser/", views.refuse, name="refuse"),
]
