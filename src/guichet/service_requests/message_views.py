"""Agents' page to write to the citizen about a request (a plain message, not the formal written answer).

Only the agents and managers of the request's service and the collectivité's administrators write (elected
members and agents of other services: 404 when they do not see the request, 403 when they only read it). The
form is also shown on the request's page (`{% agent_messages_panel %}`); this page shows it again with its
errors.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guichet.agents.permissions import agent_required
from guichet.workflows.engine import roles_of

from . import messaging
from .agent_views import _request_for_agent
from .forms import MessageForm


def agent_message_form(data=None, files=None):
    return MessageForm(data, files, message_label=_("Votre message à l'usager"))


def may_write(service_request, user):
    """Whether this agent may write to the request's citizen (not an elected member's read-only access)."""
    return bool(roles_of(service_request, user))


@require_http_methods(["GET", "POST"])
@agent_required
def write_to_citizen(request, code):
    """`/agents/demandes/<code>/message/`: « Écrire à l'usager », with optional files (Attachment source agent)."""
    service_request = _request_for_agent(request, code)
    if not may_write(service_request, request.user):
        raise PermissionDenied
    refusal = messaging.agent_refusal(service_request)
    if refusal:
        messages.error(request, refusal)
        return redirect("agent_requests:detail", code=service_request.tracking_code)
    form = agent_message_form(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            messaging.post_with_files(service_request, request.user, form.cleaned_data["message"],
                                      form.cleaned_data["files"], from_agent=True, token=form.cleaned_data["token"])
        except messaging.FilesRefused as refused:
            for error in refused.errors:
                form.add_error("files", error)
        except messaging.AlreadyPosted:
            messages.info(request, _("Ce message avait déjà été envoyé à l'usager."))
            return redirect("agent_requests:detail", code=service_request.tracking_code)
        except messaging.MessageRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Votre message a été envoyé à l'usager."))
            return redirect("agent_requests:detail", code=service_request.tracking_code)
    return render(request, "service_requests/agent/message.html", {"service_request": service_request, "form": form},
                  status=400 if form.errors else 200)
