"""Agents' request pages (mounted at /agents/demandes/) and the permission-checked downloads (/pieces/)."""

from django.urls import path

from guichet.queues import views as queue_views

from . import agent_views, files, message_views

app_name = "agent_requests"
urlpatterns = [
    path("", queue_views.queue, name="list"),  # the agents' queue (guichet.queues)
    path("<str:code>/", agent_views.request_detail, name="detail"),
    path("<str:code>/note/", agent_views.add_note, name="note"),
    path("<str:code>/message/", message_views.write_to_citizen, name="message"),
    path("<str:code>/actions/<str:button_id>/", agent_views.press_button, name="press"),
    path("<str:code>/pieces/<int:pk>/garder/", agent_views.keep_document, name="keep_document"),
]

# Included at /pieces/ with the namespace "attachments": `attachments:download`.
attachment_urls = ([path("<int:pk>/", files.download, name="download")], "attachments")
