"""The mail room's agents' pages, under /agents/courrier-entrant/ (namespace `mailroom`)."""

from django.urls import path

from . import views

app_name = "mailroom"
urlpatterns = [
    path("", views.mail_list, name="list"),
    path("<int:pk>/", views.mail_detail, name="detail"),
    path("<int:pk>/creer-demande/", views.create_request, name="create_request"),
    path("<int:pk>/ajouter-a-une-demande/", views.attach, name="attach"),
    path("<int:pk>/repondre/", views.answer, name="answer"),
    path("<int:pk>/classer/", views.file, name="file"),
    path("<int:pk>/attribuer/", views.assign, name="assign"),
    path("<int:pk>/expediteur/", views.identify, name="identify"),
    path("<int:pk>/original/", views.raw_download, name="raw"),
    path("pieces/<int:pk>/", views.attachment_download, name="attachment"),
]

# The e-mail settings (mailboxes, inbound endpoint) and the upload of scanned letters, same namespace.
from . import mailbox_views, scan_views  # noqa: E402

urlpatterns += mailbox_views.urlpatterns + scan_views.scan_urlpatterns
