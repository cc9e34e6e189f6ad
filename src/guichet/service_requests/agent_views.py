"""Agents' pages for requests: a request's page with its workflow (the queue itself is `guichet.queues`).

Plain agents see the requests of their services, org administrators every request of the collectivité; any
other request (another service, another collectivité, a draft) answers 404. Every change is a POST.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guichet.agents.permissions import agent_required
from guichet.answers.forms import answer_of, button_form, button_forms
from guichet.answers.services import press_with_answer
from guichet.documents.services import DocumentError, keep_checked_attachment
from guichet.documents.types import default_valid_until, label_of
from guichet.formdefs import find_field, summary
from guichet.workflows import engine

from .agent_forms import KeepDocumentForm, NoteForm
from .agent_services import add_internal_note, record_view, requests_for_agent
from .codes import normalise_tracking_code
from .models import Attachment


def _request_for_agent(request, code):
    """The submitted request of this tracking code that the agent may see, else 404."""
    canonical = normalise_tracking_code(code)
    if canonical is None:
        raise Http404(_("Demande introuvable."))
    requests = requests_for_agent(request.user, request.organisation).select_related(
        "version", "procedure", "service", "citizen", "assigned_to"
    )
    return get_object_or_404(requests, tracking_code=canonical)


def _buttons(service_request, user, bound=None):
    """[(button, form)] for the buttons this agent may press now (`bound`: (button id, bound form)); a button that
    closes a request not answered yet carries the written answer (guichet.answers)."""
    return button_forms(service_request, engine.available_buttons(service_request, user), bound)


def _attachments(service_request, keep_bound=None):
    """[(attachment, document type or None, keep form or None, kept documents)] of the request."""
    today = timezone.localdate()
    rows = []
    attachments = Attachment.objects.of(service_request.organisation).filter(request=service_request)
    for attachment in attachments.select_related("uploaded_by").prefetch_related("kept_documents"):
        field = find_field(service_request.version.form, attachment.field_id) if attachment.field_id else None
        document_type = field.get("document_type") if isinstance(field, dict) and field.get("type") == "file" else None
        form = None
        if document_type and service_request.citizen_id and service_request.anonymised_at is None:
            if keep_bound and keep_bound[0] == attachment.pk:
                form = keep_bound[1]
            else:
                valid_until = default_valid_until(document_type, today)
                form = KeepDocumentForm(
                    initial={"valid_until": valid_until}, prefix=f"piece-{attachment.pk}"
                )
        label = field.get("label") if isinstance(field, dict) else ""
        rows.append({
            "attachment": attachment, "field_label": label, "document_type": document_type,
            "document_type_label": label_of(document_type) if document_type else "", "keep_form": form,
            "kept": list(attachment.kept_documents.all()),
        })
    return rows


def _members(service_request):
    if service_request.citizen_id is None:
        return ()
    from guichet.households.services import members_of

    return list(members_of(service_request.citizen))


def _render_detail(request, service_request, *, note_form=None, button_bound=None, keep_bound=None, status=200):
    events = service_request.events.select_related("actor").order_by("at", "pk")
    attachments = _attachments(service_request, keep_bound)
    context = {
        "service_request": service_request,
        "status_label": service_request.status_label(),
        "status": service_request.status_definition(),
        "summary": summary(
            service_request.version.form, service_request.data or {}, members=_members(service_request),
            attachments={row["attachment"].pk: row["attachment"].original_name for row in attachments},
        ),
        "attachments": attachments,
        "events": [(event, service_request.status_label(event.status_to) if event.status_to else "") for event in events],
        "buttons": _buttons(service_request, request.user, button_bound),
        "note_form": note_form or NoteForm(),
    }
    return render(request, "service_requests/agent/detail.html", context, status=status)


@require_GET
@agent_required
def request_detail(request, code):
    service_request = _request_for_agent(request, code)
    record_view(service_request, request.user)
    return _render_detail(request, service_request)


@require_POST
@agent_required
def add_note(request, code):
    service_request = _request_for_agent(request, code)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, service_request, note_form=form, status=400)
    try:
        add_internal_note(service_request, request.user, form.cleaned_data["text"])
    except ValueError as error:
        form.add_error("text", str(error))
        return _render_detail(request, service_request, note_form=form, status=400)
    messages.success(request, _("La note interne a été ajoutée."))
    return redirect("agent_requests:detail", code=service_request.tracking_code)


def _keep_typed_answer(request, code, button_id, error):
    """The button refused (the request changed meanwhile, the workflow refused): the request's page as it is now,
    with the button's form as the agent filled it (their written answer is not lost) and the error on it; None
    when that button is no longer offered."""
    service_request = _request_for_agent(request, code)
    button = next((b for b in engine.available_buttons(service_request, request.user) if b.id == button_id), None)
    if button is None:
        return None
    data = request.POST.copy()
    form = button_form(service_request, button, data)
    # The page shows the request's current state: a new press is made against it.
    data[form.add_prefix("lock_version")] = str(service_request.lock_version)
    form.is_valid()
    form.add_error(None, error.message)
    return _render_detail(request, service_request, button_bound=(button_id, form), status=409)


@require_POST
@agent_required
def press_button(request, code, button_id):
    service_request = _request_for_agent(request, code)
    buttons = {button.id: button for button in engine.available_buttons(service_request, request.user)}
    button = buttons.get(button_id)
    if button is None:
        messages.error(request, _(
            "Cette action n'est plus possible : la demande a changé de statut ou l'action ne vous est pas ouverte."
        ))
        return redirect("agent_requests:detail", code=service_request.tracking_code)
    form = button_form(service_request, button, request.POST)
    if not form.is_valid():
        return _render_detail(request, service_request, button_bound=(button_id, form), status=400)
    try:
        # The written answer the form may carry is sent in the same transaction as the button's actions.
        press_with_answer(
            service_request, button_id, request.user, form_data=form.texts(),
            lock_version=form.cleaned_data["lock_version"], answer=answer_of(form),
        )
    except PermissionDenied:
        messages.error(request, _(
            "Cette action n'est plus possible : la demande a changé de statut ou l'action ne vous est pas ouverte."
        ))
        return redirect("agent_requests:detail", code=service_request.tracking_code)
    except engine.WorkflowError as error:
        if answer_of(form):
            kept = _keep_typed_answer(request, code, button_id, error)
            if kept is not None:
                return kept
        messages.error(request, error.message)
        return redirect("agent_requests:detail", code=service_request.tracking_code)
    messages.success(request, _("Action « %(label)s » effectuée.") % {"label": button.label})
    return redirect("agent_requests:detail", code=service_request.tracking_code)


@require_POST
@agent_required
def keep_document(request, code, pk):
    service_request = _request_for_agent(request, code)
    attachment = get_object_or_404(
        Attachment.objects.of(request.organisation).filter(request=service_request), pk=pk
    )
    field = find_field(service_request.version.form, attachment.field_id) if attachment.field_id else None
    document_type = field.get("document_type") if isinstance(field, dict) and field.get("type") == "file" else None
    if not document_type:
        raise Http404(_("Cette pièce ne correspond à aucun type de document à garder."))
    form = KeepDocumentForm(request.POST, prefix=f"piece-{attachment.pk}")
    if not form.is_valid():
        return _render_detail(request, service_request, keep_bound=(attachment.pk, form), status=400)
    try:
        keep_checked_attachment(attachment, document_type, form.cleaned_data["valid_until"], request.user)
    except DocumentError as error:
        form.add_error(None, error.message)
        return _render_detail(request, service_request, keep_bound=(attachment.pk, form), status=400)
    messages.success(request, _("« %(type)s » est gardé dans l'espace documents de l'usager.") % {
        "type": label_of(document_type),
    })
    return redirect("agent_requests:detail", code=service_request.tracking_code)
