"""`{% answer_panel service_request %}`: « Répondre à l'usager » on the agents' request page."""

from django import template

from guichet.answers.views import answer_form_context

register = template.Library()


@register.inclusion_tag("answers/panel.html", takes_context=True)
def answer_panel(context, service_request):
    http_request = context["request"]
    return {
        **answer_form_context(service_request, http_request.user, query=http_request.GET),
        "csrf_token": context.get("csrf_token"), "on_request_page": True,
    }
