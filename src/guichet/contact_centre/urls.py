"""The contact centre, under /agents/appels/ (namespace `contact_centre`)."""

from django.urls import path

from . import views

app_name = "contact_centre"
urlpatterns = [
    path("", views.screen, name="screen"),
    path("en-ligne/", views.ringing, name="ringing"),
    path("entrants/<int:pk>/prendre/", views.take, name="take"),
    path("nouveau/", views.start, name="start"),
    path("contacts/<int:pk>/", views.contact, name="contact"),
    path("contacts/<int:pk>/usager/", views.attach, name="attach"),
    path("journal/", views.journal, name="journal"),
    path("telephonie/", views.telephony, name="telephony"),
    path("telephonie/postes/", views.extensions, name="extensions"),
    path("telephonie/<int:pk>/revoquer/", views.revoke, name="revoke"),
]
