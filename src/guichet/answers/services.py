"""The written answer to the citizen, and the services' answer templates.

The rule (see README.md): a request reaches a final status only once the citizen has had a written answer
since it was (re)opened — `ServiceRequest.answered_at` is set. Written answers are:

- the agent's answer (`send_answer` → `messaging.post_agent_message(answer=True)`), from the request page or
  typed in the form of a button that closes the request (`press_with_answer`: answer and button in ONE
  transaction);
- a workflow `notify` action to the citizen that carries a text (fixed in the workflow, or the agent's);
- a workflow `generate_document` action (the PDF is attached to the request, visible to the citizen).

A notify without text is only a status notice: it does not count. A request withdrawn by its citizen or merged
into another one needs no answer of its own. The engine calls `check_final_status` after the on-enter actions
of a final status have run, inside its transaction: a missing answer raises `WorkflowError` and nothing is
recorded — whatever the path (button, bulk change, `enter_status`, timer, citizen's completion).
"""

from types import SimpleNamespace

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.agents.permissions import is_org_admin, is_service_manager, is_verified_agent, services_of

from .models import AnswerTemplate

MAX_TITLE_LENGTH = 150
MAX_BODY_LENGTH = 5000
WORKFLOW_DEPTH = 20

# Variables of an answer template (those of the messages about a request, without the message itself).
ANSWER_VARIABLES = {
    "destinataire.civilite": (gettext_lazy("Civilité de l'usager (Madame, Monsieur)"), "Madame"),
    "destinataire.prenom": (gettext_lazy("Prénom de l'usager"), "Camille"),
    "destinataire.nom": (gettext_lazy("Nom de l'usager"), "Martin"),
    "demande.code": (gettext_lazy("Numéro de suivi de la demande"), "RQ-7K4M-2P9X"),
    "demande.titre": (gettext_lazy("Titre de la démarche"), "Signalement d'un problème sur la voirie"),
    "demande.statut": (gettext_lazy("Statut de la demande"), "Intervention planifiée"),
    "demande.service": (gettext_lazy("Service chargé de la demande"), "Services techniques"),
    "demande.date": (gettext_lazy("Date d'envoi de la demande"), "3 mars 2026"),
    "demande.date_limite": (gettext_lazy("Date limite de traitement"), "2 avril 2026"),
    "collectivite.nom": (gettext_lazy("Nom de la collectivité"), "Saint-Aubin"),
    "collectivite.adresse": (gettext_lazy("Adresse de la collectivité"), "1 place de la Mairie, 54470 Saint-Aubin"),
    "collectivite.telephone": (gettext_lazy("Téléphone de la collectivité"), "03 83 00 20 00"),
    "lien": (gettext_lazy("Adresse de la page de suivi de la demande"), "https://saint-aubin.example.org/demandes/RQ-7K4M-2P9X/"),
}


class AnswerRefused(Exception):
    """The answer cannot be sent or saved; `message` is French and meant for the user."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- the rule -----------------------------------------------------------------------------------------


def is_exempt(service_request):
    """A request withdrawn by its citizen or merged into another needs no written answer of its own."""
    return service_request.withdrawn_at is not None or service_request.merged_into_id is not None


def needs_written_answer(service_request):
    return service_request.answered_at is None and not is_exempt(service_request)


def check_final_status(service_request, status):
    """Called by the engine once the on-enter actions of `status` ran: WorkflowError when it is final and the
    citizen has had no written answer since the request was (re)opened."""
    from guichet.workflows.engine import WorkflowError

    if status.get("final") and needs_written_answer(service_request):
        raise WorkflowError(_(
            "La demande ne peut pas passer au statut final « %(status)s » sans réponse écrite à l'usager : "
            "écrivez-lui d'abord une réponse (message ou courrier produit). Rien n'a été fait."
        ) % {"status": status.get("label") or status.get("id")})


def citizen_reachable(service_request):
    """Whether a message about the request reaches its citizen — the same choice as the workflow's notify action:
    an active account (the notification is kept in their « Mes notifications » and sent on their channel), else
    the contact e-mail address of a request made without account."""
    if service_request.citizen_id and service_request.citizen.is_active and not service_request.anonymised_at:
        return True
    return bool(service_request.contact_email)


def answer_channel(service_request):
    """How the answer will reach the citizen: {"channel": email|sms|letter|None, "text": French sentence}."""
    from guichet.notifications.models import Channel
    from guichet.notifications.services import choose_channel

    citizen = service_request.citizen if service_request.citizen_id else None
    if citizen is not None and citizen.is_active and not service_request.anonymised_at:
        preferred = citizen.preferred_channel or Channel.EMAIL
        chosen, address, skipped = choose_channel(citizen)
        if chosen is None:
            return {"channel": None, "text": _(
                "L'usager n'a ni courriel, ni téléphone, ni adresse postale : la réponse sera seulement visible "
                "dans son espace en ligne.")}
        where = {Channel.EMAIL: _("par courriel à %(address)s"), Channel.SMS: _("par SMS au %(address)s"),
                 Channel.LETTER: _("par courrier postal à %(address)s")}[chosen] % {
            "address": ", ".join(address.splitlines())}
        if skipped:
            return {"channel": chosen, "text": _(
                "La réponse partira %(where)s : l'usager préfère « %(preferred)s » mais n'a pas d'adresse pour ce "
                "moyen.") % {"where": where, "preferred": Channel(preferred).label}}
        return {"channel": chosen, "text": _("La réponse partira %(where)s, le moyen que l'usager a choisi.") % {
            "where": where}}
    if service_request.contact_email:
        return {"channel": Channel.EMAIL, "text": _(
            "La réponse partira par courriel à l'adresse de contact %(address)s (demande sans compte).") % {
            "address": service_request.contact_email}}
    return {"channel": None, "text": _(
        "Cette demande n'a ni compte ni adresse électronique de contact : la réponse sera seulement visible avec "
        "le code de suivi.")}


def record_workflow_answer(ctx, text="", *, attachment_ids=(), visible=True):
    """A workflow action (notify with a text, generated document) has just given the citizen a written answer:
    trace it (ANSWER event) and set `answered_at`. Nothing when the citizen cannot be reached."""
    from guichet.service_requests.models import RequestEvent, ServiceRequest
    from guichet.service_requests.services import add_event

    request = ctx.request
    if not citizen_reachable(request):
        return None
    actor = ctx.actor if getattr(ctx.actor, "is_agent", False) else None
    event = add_event(request, RequestEvent.Kind.ANSWER, actor=actor, visible_to_citizen=visible, text=text,
                      data={"attachments": list(attachment_ids), "source": "workflow"})
    request.answered_at = event.at
    ServiceRequest.objects.filter(pk=request.pk).update(answered_at=event.at)
    return event


def action_gives_answer(action):
    """Whether this workflow action, as written, gives the citizen a written answer."""
    if not isinstance(action, dict):
        return False
    if action.get("type") == "notify":
        return action.get("to") == "citizen" and bool(str(action.get("text") or "").strip())
    return action.get("type") == "generate_document"


def _walk(defn, actions, answered, depth):
    """(answered after these actions, a final status is reached, a final status is reached unanswered)."""
    from guichet.workflows.engine import find_status

    reaches = unanswered = False
    for action in actions or []:
        if action_gives_answer(action):
            answered = True
        elif isinstance(action, dict) and action.get("type") == "goto" and depth < WORKFLOW_DEPTH:
            _index, status = find_status(defn, action.get("status"))
            if status is None:
                continue
            answered, inner_reaches, inner_unanswered = _walk(defn, status.get("on_enter"), answered, depth + 1)
            final = bool(status.get("final"))
            reaches = reaches or inner_reaches or final
            unanswered = unanswered or inner_unanswered or (final and not answered)
    return answered, reaches, unanswered


def answer_need(service_request, button):
    """For a button of the request: None (no answer to ask for), "required" (it leads to a final status and the
    request has no answer yet) or "optional" (it leads to a final status whose own actions answer)."""
    from guichet.workflows.engine import workflow_of

    if not needs_written_answer(service_request):
        return None
    _answered, reaches, unanswered = _walk(workflow_of(service_request), button.actions, False, 0)
    if unanswered:
        return "required"
    return "optional" if reaches else None


# --- sending the answer -------------------------------------------------------------------------------


def may_answer(user, service_request):
    """Agents and managers of the request's service and the collectivité's administrators (not elected members,
    who only read)."""
    from guichet.workflows.engine import roles_of

    return bool(roles_of(service_request, user))


def answer_refusal(service_request):
    """None when the service may still write to the citizen about this request, else a French sentence."""
    from guichet.service_requests.messaging import agent_refusal

    return agent_refusal(service_request)


def send_answer(service_request, agent, text, attachment_ids=(), *, files=(), token=None):
    """The agent's written answer (a text and/or files uploaded now) → the ANSWER event, sent to the citizen on
    their channel (`messaging.post_agent_message`). PermissionDenied for someone who may not answer;
    AnswerRefused (French message) for an empty or too long answer, a refused file or a request that takes no
    message: nothing is recorded then. `messaging.AlreadyPosted` when this form's `token` was used before."""
    from guichet.service_requests.files import store_uploads
    from guichet.service_requests.messaging import (
        MESSAGE_FIELD_ID, MESSAGE_FILE_RULES, MessageRefused, post_agent_message,
    )

    if not may_answer(agent, service_request):
        raise PermissionDenied
    problem = answer_refusal(service_request)
    if problem:
        raise AnswerRefused(problem, "message")
    if not (text or "").strip() and not files and not attachment_ids:
        raise AnswerRefused(_("Écrivez la réponse à l'usager, ou choisissez un modèle de réponse."), "message")
    with transaction.atomic():
        ids = list(attachment_ids)
        if files:
            stored, errors = store_uploads(service_request, MESSAGE_FIELD_ID, files, MESSAGE_FILE_RULES,
                                           uploaded_by=agent, source="agent")
            if errors:
                raise AnswerRefused(" ".join(errors), "files")
            ids += stored
        try:
            return post_agent_message(service_request, agent, text, ids, answer=True, token=token)
        except MessageRefused as refused:
            raise AnswerRefused(refused.message, "message") from refused


def press_with_answer(service_request, button_id, user, *, form_data=None, lock_version=None, answer=""):
    """Send the agent's answer (when given) and press the button, in one transaction: both or nothing."""
    from guichet.workflows import engine

    with transaction.atomic():
        if answer:
            try:
                send_answer(service_request, user, answer)
            except AnswerRefused as refused:
                raise engine.WorkflowError(refused.message) from refused
        return engine.press(service_request, button_id, user, form_data=form_data, lock_version=lock_version)


# --- answer templates ---------------------------------------------------------------------------------


def sample_context():
    context = {}
    for name, (_description, sample) in ANSWER_VARIABLES.items():
        target = context
        *parents, leaf = name.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = sample
    return context


def _render(body, context):
    from guichet.notifications.rendering import render_texts

    return render_texts({"subject": "", "body": body, "sms_text": "", "letter_text": ""}, context).body


def check_body(body):
    """The French problem of a template's text (unknown variable, syntax error…), or None."""
    from guichet.notifications.rendering import TemplateProblem

    try:
        _render(body, sample_context())
    except TemplateProblem as problem:
        return problem.message
    except Exception as error:  # noqa: BLE001 — whatever the text, its author gets a message, not a crash
        return _("Le modèle ne peut pas être lu : %(message)s") % {"message": error}
    return None


def request_variables(service_request):
    """The values of ANSWER_VARIABLES for this request."""
    from guichet.notifications.services import absolute_link, message_context
    from guichet.workflows.actions import citizen_link, request_context

    citizen = service_request.citizen if service_request.citizen_id else None
    if citizen is None or service_request.anonymised_at:
        citizen = SimpleNamespace(civility="", first_name="", last_name=service_request.contact_name,
                                  get_civility_display=lambda: "")
    context = message_context(service_request.organisation, citizen, request_context(service_request))
    context["lien"] = absolute_link(service_request.organisation, citizen_link(service_request))
    return context


def render_for_request(template, service_request, variables=None):
    """The template's text with the request's values (`variables`: `request_variables(service_request)` when
    already computed); its raw text if it cannot be rendered any more."""
    from guichet.notifications.rendering import TemplateProblem

    try:
        return _render(template.body, variables if variables is not None else request_variables(service_request))
    except TemplateProblem:
        return template.body


def templates_for_request(service_request):
    """The active templates an agent may pick for this request: its service's and the common ones."""
    templates = AnswerTemplate.objects.of(service_request.organisation).filter(is_active=True)
    scope = Q(service__isnull=True)
    if service_request.service_id:
        scope |= Q(service_id=service_request.service_id)
    return templates.filter(scope).select_related("service").order_by("title", "pk")


def visible_templates(user, organisation):
    """The templates the agent may read: every one for an administrator, else their services' and the common
    ones."""
    templates = AnswerTemplate.objects.of(organisation).select_related("service", "updated_by")
    if not is_org_admin(user):
        templates = templates.filter(Q(service__in=services_of(user)) | Q(service__isnull=True))
    return templates.order_by("service__name", "title", "pk")


def template_rows(user, organisation):
    """[(template, whether the agent may change it)] of the templates the agent reads, in two queries."""
    admin = is_org_admin(user)
    managed = set() if admin else set(managed_services(user, organisation).values_list("pk", flat=True))
    return [(template, admin or template.service_id in managed)
            for template in visible_templates(user, organisation)]


def may_manage(user, service):
    """Administrators manage every template; a service manager those of their service (not the common ones)."""
    if is_org_admin(user):
        return True
    return service is not None and is_service_manager(user, service)


def managed_services(user, organisation):
    """The services whose templates the agent may create or change."""
    from guichet.agents.models import Membership, Service

    services = Service.objects.of(organisation).filter(is_active=True)
    if is_org_admin(user):
        return services
    if not is_verified_agent(user):
        return services.none()
    return services.filter(pk__in=services_of(user, roles=[Membership.Role.MANAGER]).values("pk"))


def may_create(user, organisation):
    return is_org_admin(user) or managed_services(user, organisation).exists()


def save_template(organisation, user, *, title, body, service=None, template=None):
    """Create or change a template → the template; AnswerRefused (French message, field) on bad input;
    PermissionDenied when the user may not manage it (or the service it would move to)."""
    if service is not None and service.organisation_id != organisation.pk:
        raise PermissionDenied
    if template is not None and (template.organisation_id != organisation.pk or not may_manage(user, template.service)):
        raise PermissionDenied
    if not may_manage(user, service):
        raise PermissionDenied
    title = " ".join((title or "").split())
    body = (body or "").strip()
    if not title:
        raise AnswerRefused(_("Donnez un titre au modèle."), "title")
    if len(title) > MAX_TITLE_LENGTH:
        raise AnswerRefused(_("Le titre est trop long (%(max)s caractères au plus).") % {"max": MAX_TITLE_LENGTH},
                            "title")
    if not body:
        raise AnswerRefused(_("Écrivez le texte de la réponse."), "body")
    if len(body) > MAX_BODY_LENGTH:
        raise AnswerRefused(_("Le texte est trop long (%(max)s caractères au plus).") % {"max": MAX_BODY_LENGTH},
                            "body")
    problem = check_body(body)
    if problem:
        raise AnswerRefused(problem, "body")
    if template is None:
        template = AnswerTemplate(organisation=organisation)
    template.title, template.body, template.service, template.updated_by = title, body, service, user
    template.save()
    return template


def set_active(template, user, active):
    if not may_manage(user, template.service):
        raise PermissionDenied
    template.is_active = active
    template.updated_by = user
    template.save(update_fields=["is_active", "updated_by", "updated_at"])
    return template
