"""Citizens' URLs of requests (mounted at the root of a collectivité's host)."""

from django.urls import path

from . import views

app_name = "service_requests"

urlpatterns = [
    path("demarches/<slug:slug>/commencer/", views.start, name="start"),
    path("demandes/suivre/", views.follow, name="follow"),
    path("demandes/<str:code>/", views.detail, name="detail"),
    path("demandes/<str:code>/coordonnees/", views.contact, name="contact"),
    path("demandes/<str:code>/page/<str:page_id>/", views.page, name="page"),
    path("demandes/<str:code>/recapitulatif/", views.summary, name="summary"),
    path("demandes/<str:code>/envoyer/", views.send, name="send"),
    path("demandes/<str:code>/accuse-de-reception/", views.receipt, name="receipt"),
    path("demandes/<str:code>/accuse-de-reception.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("demandes/<str:code>/complement/", views.complement, name="complement"),
    path("demandes/<str:code>/supprimer/", views.delete, name="delete"),
    path("demandes/<str:code>/message/", views.message, name="message"),
    path("demandes/<str:code>/retirer/", views.withdraw, name="withdraw"),
    path("compte/demandes/", views.mine, name="mine"),
]
