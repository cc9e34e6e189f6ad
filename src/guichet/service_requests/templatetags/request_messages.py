"""Template tags of the messages between the service and the citizen, for the agents' request page:
`{% agent_messages_panel service_request %}` (« Écrire à l'usager ») and `{% event_files event attachments %}`
(the files of a message in the history, from the attachment rows the page already loaded: no query)."""

from django import template

register = template.Library()


@register.inclusion_tag("service_requests/agent/_messages_panel.html", takes_context=True)
def agent_messages_panel(context, service_request):
    from guichet.service_requests import messaging
    from guichet.service_requests.message_views import agent_message_form, may_write

    request = context["request"]
    writer = may_write(service_request, request.user)
    refusal = messaging.agent_refusal(service_request)
    return {
        "service_request": service_request, "request": request, "csrf_token": context.get("csrf_token"),
        "form": agent_message_form() if writer and refusal is None else None,
        "refusal": refusal if writer else None, "writer": writer,
    }


@register.inclusion_tag("service_requests/agent/_event_files.html")
def event_files(event, attachments):
    """`attachments`: the page's rows ({"attachment": Attachment, ...}) or Attachment objects."""
    ids = (event.data or {}).get("attachments") if isinstance(event.data, dict) else None
    if not isinstance(ids, list) or not ids:
        return {"files": []}
    by_pk = {}
    for row in attachments or ():
        attachment = row.get("attachment") if isinstance(row, dict) else row
        if attachment is not None:
            by_pk[attachment.pk] = attachment
    return {"files": [by_pk[pk] for pk in ids if isinstance(pk, int) and pk in by_pk]}
