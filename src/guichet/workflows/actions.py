"""The actions a workflow runs on entering a status or when an agent presses a button.

Each action type is one `ActionType` of the `ACTIONS` registry with:

- `check(checker, location, action, in_button)`: adds the problems of a definition's action to the validator;
- `run(ctx, action)`: does it, for `ctx.request` (locked by the engine, inside its transaction);
- `describe(action)`: a short French sentence for the editor and the diagram's text alternative.

`ctx` is the engine's `RunContext` (request, actor, form_data, depth, path of the action in the definition).
Everything an action does is recorded on the request's timeline (`RequestEvent`).
"""

import datetime
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.background.tasks import durable_task
from guichet.connectors.signing import signature

logger = logging.getLogger("guichet.workflows")

NOTIFY_TARGETS = ("citizen", "service", "address")
WEBHOOK_BODY_KEEP = 2048
DOCUMENT_MAX_LENGTH = 50_000


class InputRequired(Exception):
    """A button needs something the agent did not give (a message, a note)."""

    def __init__(self, message, field):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ActionType:
    key: str
    label: str
    check: Callable
    run: Callable
    describe: Callable
    # Name of the form field a button with this action asks the agent for (or None), and its label.
    input_field: Callable = lambda action: None


def _event(ctx, kind, *, visible=False, **fields):
    from guichet.service_requests.services import add_event

    return add_event(ctx.request, kind, actor=ctx.actor, visible_to_citizen=visible, **fields)


def _form_text(ctx, name):
    value = (ctx.form_data or {}).get(name, "")
    return value.strip() if isinstance(value, str) else ""


# --- goto ---------------------------------------------------------------------------------------------


def check_goto(checker, location, action, in_button):
    checker.status_ref(f"{location}.status", action.get("status"), _("Indiquez le statut vers lequel aller."))


def run_goto(ctx, action):
    """Go to another status (its on-enter actions run; the engine guards against endless loops)."""
    from .engine import enter_locked

    enter_locked(ctx, action["status"], reason=ctx.reason)


# --- assign -------------------------------------------------------------------------------------------


def check_assign(checker, location, action, in_button):
    service, agent = action.get("service"), action.get("agent")
    if bool(service) == bool(agent):
        checker.add(location, _("Attribuez soit à un service (service), soit à un agent (agent : courriel ou "
                                "« self »), l'un des deux."))
        return
    if service and (not isinstance(service, str) or not re.match(r"^[-a-zA-Z0-9_]+$", service)):
        checker.add(f"{location}.service", _("Indiquez l'identifiant d'un service (lettres, chiffres, tirets)."))
    if agent:
        if agent == "self":
            if not in_button:
                checker.add(f"{location}.agent", _("« self » (l'agent qui agit) n'a de sens que sur un bouton."))
        else:
            try:
                EmailValidator()(agent if isinstance(agent, str) else "")
            except ValidationError:
                checker.add(f"{location}.agent", _("Indiquez le courriel d'un agent, ou « self »."))


def run_assign(ctx, action):
    """Give the request to a service of the collectivité (by slug) or to an agent (by e-mail, or the actor)."""
    from guichet.accounts.models import User
    from guichet.agents.models import Service

    request = ctx.request
    if action.get("service"):
        service = Service.objects.of(request.organisation).filter(slug=action["service"], is_active=True).first()
        if service is None:
            _event(ctx, "action", text=_("Attribution impossible : le service « %(slug)s » n'existe pas.") % {
                "slug": action["service"]})
            return
        request.service = service
        request.assigned_to = None
        _event(ctx, "assigned", text=_("Demande attribuée au service %(name)s.") % {"name": service.name},
               data={"service": service.pk})
        return
    if action["agent"] == "self":
        agent = ctx.actor if ctx.actor is not None and getattr(ctx.actor, "is_agent", False) else None
    else:
        agent = User.objects.filter(
            organisation=request.organisation, kind=User.Kind.AGENT, email__iexact=action["agent"], is_active=True
        ).first()
    if agent is None:
        _event(ctx, "action", text=_("Attribution impossible : agent « %(agent)s » introuvable.") % {
            "agent": action["agent"]})
        return
    request.assigned_to = agent
    _event(ctx, "assigned", text=_("Demande attribuée à %(name)s.") % {
        "name": agent.get_full_name() or agent.email}, data={"agent": agent.pk})


# --- notify -------------------------------------------------------------------------------------------


def check_notify(checker, location, action, in_button):
    from guichet.notifications.catalogue import KINDS

    target = action.get("to")
    if target not in NOTIFY_TARGETS:
        checker.add(f"{location}.to", _("Destinataire inconnu : choisissez citizen (l'usager), service ou address."))
    if target == "address":
        try:
            EmailValidator()(action.get("address") if isinstance(action.get("address"), str) else "")
        except ValidationError:
            checker.add(f"{location}.address", _("Indiquez une adresse électronique valide."))
    message = action.get("message")
    if message not in KINDS:
        checker.add(f"{location}.message", _("Message inconnu : « %(key)s ». Messages possibles : %(keys)s.") % {
            "key": message, "keys": ", ".join(sorted(KINDS))})
    checker.text(f"{location}.text", action.get("text"), max_length=5000)


def citizen_link(request):
    return f"/demandes/{request.tracking_code}/"


def agent_link(request):
    return f"/agents/demandes/{request.tracking_code}/"


def request_context(request, text=""):
    """Variables offered to messages about a request (the names of the `request.*` message kinds)."""
    from guichet.letters.pdf import french_date
    from guichet.procedures.services import silence_in_words

    status = request.status_definition() or {}
    received = timezone.localdate(request.submitted_at) if request.submitted_at else None
    return {
        "demande": {
            "code": request.tracking_code,
            "numero": request.tracking_code,
            "titre": request.version.title,
            "demarche": request.version.title,
            "statut": status.get("label", request.status) if status.get("visible", True) else "",
            "service": request.service.name if request.service_id else "",
            "date": french_date(received) if received else "",
            "delai": french_date(request.deadline) if request.deadline else "",
            "date_limite": french_date(request.deadline) if request.deadline else "",
            "silence": silence_in_words(request.version),
            "message": text,
        },
        "objet": request.version.title,
        "message": text,
        "texte": text,
    }


def _plain_texts(organisation, key, context):
    """Subject and body of a message kind for someone without an account (the collectivité's wording)."""
    from guichet.notifications.rendering import TemplateProblem, render_texts
    from guichet.notifications.services import absolute_link, default_texts, template_texts

    variables = {
        "collectivite": {"nom": organisation.name, "adresse": " ".join(organisation.address.split()),
                         "telephone": organisation.phone},
        "destinataire": {"civilite": "", "prenom": "", "nom": ""},
        **context,
        "lien": absolute_link(organisation, context.get("lien", "")),
    }
    try:
        return render_texts(template_texts(organisation, key), variables)
    except TemplateProblem:
        return render_texts(default_texts(key), variables)


def send_plain_email(ctx, address, key, context, *, who):
    from guichet.notifications.rendering import TemplateProblem

    organisation = ctx.request.organisation
    try:
        texts = _plain_texts(organisation, key, context)
    except TemplateProblem as problem:
        _event(ctx, "notification", text=_("Message « %(key)s » non envoyé à %(who)s : %(error)s") % {
            "key": key, "who": who, "error": problem.message})
        return
    send_email_job.enqueue(organisation.pk, address, texts.subject[:200], texts.body)
    _event(ctx, "notification", text=_("Courriel « %(subject)s » envoyé à %(who)s.") % {
        "subject": texts.subject, "who": who}, data={"message": key, "to": address})


@durable_task
def send_email_job(organisation_id, address, subject, body):
    """Background job: a plain e-mail to an address that has no account (anonymous submitter, fixed address)."""
    from django.core.mail import EmailMessage

    from guichet.organisations.models import Organisation

    organisation = Organisation.objects.get(pk=organisation_id)
    EmailMessage(
        subject=subject, body=body, from_email=organisation.from_email, to=[address],
        reply_to=[organisation.email] if organisation.email else None,
        headers={"Auto-Submitted": "auto-generated"},
    ).send(fail_silently=False)
    return "envoyé"


def run_notify(ctx, action, *, text=None, context=None):
    """Tell the citizen (notification service; e-mail to the contact address for a request without account),
    the agents of the request's service, or a fixed address, with a message kind of the catalogue.

    `context`: the message's variables for the citizen instead of the request's own (guichet.duplicates). The
    citizens of the requests merged into this one receive its progress notices too."""
    from guichet.agents.models import Membership
    from guichet.notifications.services import notify

    request = ctx.request
    key = action["message"]
    text = action.get("text", "") if text is None else text
    target = action["to"]
    if target == "citizen":
        forward = context is None
        context = request_context(request, text) if context is None else context
        if request.citizen_id and request.citizen.is_active and not request.anonymised_at:
            notify(request.citizen, key, context, link=citizen_link(request))
            _event(ctx, "notification", text=_("Message « %(key)s » envoyé à l'usager.") % {"key": key},
                   data={"message": key, "to": "citizen"})
        elif request.contact_email:
            send_plain_email(ctx, request.contact_email, key, {**context, "lien": citizen_link(request)},
                             who=_("l'usager"))
        else:
            _event(ctx, "notification", text=_("Message « %(key)s » non envoyé : l'usager n'a pas d'adresse.") % {
                "key": key})
        if forward and request.merged_requests.exists():
            from guichet.duplicates.services import tell_merged_citizens

            tell_merged_citizens(ctx, key, text)
    elif target == "service":
        if not request.service_id:
            _event(ctx, "notification", text=_("Message « %(key)s » non envoyé : la demande n'a pas de service.") % {
                "key": key})
            return
        context = request_context(request, text)
        members = Membership.objects.filter(
            service_id=request.service_id, user__is_active=True,
            role__in=[Membership.Role.AGENT, Membership.Role.MANAGER],
        ).select_related("user")
        count = 0
        for membership in members:
            notify(membership.user, key, context, link=agent_link(request))
            count += 1
        _event(ctx, "notification", text=_("Message « %(key)s » envoyé aux %(n)s agents du service.") % {
            "key": key, "n": count}, data={"message": key, "to": "service"})
    else:
        send_plain_email(ctx, action["address"], key, {**request_context(request, text), "lien": agent_link(request)},
                         who=action["address"])


def run_notify_action(ctx, action):
    """The workflow's notify action: a message to the citizen that carries a text is their written answer
    (guichet.answers); a message without text is only a status notice."""
    from guichet.answers.services import action_gives_answer, record_workflow_answer

    run_notify(ctx, action)
    if action_gives_answer(action):
        record_workflow_answer(ctx, action["text"].strip())


def describe_notify(action):
    target = {"citizen": _("à l'usager"), "service": _("aux agents du service"),
              "address": _("à %(address)s") % {"address": action.get("address", "")}}.get(action.get("to"), "")
    return _("Envoyer le message « %(key)s » %(target)s") % {"key": action.get("message"), "target": target}


# --- request_info -------------------------------------------------------------------------------------


def check_request_info(checker, location, action, in_button):
    checker.status_ref(f"{location}.then", action.get("then"),
                       _("Indiquez le statut où va la demande quand l'usager a répondu."))
    if "message_required" in action and not isinstance(action["message_required"], bool):
        checker.add(f"{location}.message_required", _("Cette valeur doit être true ou false."))
    checker.text(f"{location}.message", action.get("message"), required=not in_button, max_length=5000)


def request_info_field(action):
    if action.get("message_required") or not action.get("message"):
        return ("message", _("Ce que vous demandez à l'usager"))
    return None


def run_request_info(ctx, action):
    """Ask the citizen for more information or documents: the request waits until they answer from their
    account (then it goes to `then`). The message is the agent's (button) or the action's fixed text."""
    from guichet.notifications.catalogue import KINDS

    from .models import InformationRequest

    message = _form_text(ctx, "message") or action.get("message", "")
    if not message:
        raise InputRequired(_("Écrivez ce que vous demandez à l'usager."), "message")
    request = ctx.request
    request.waiting_for_citizen = True
    request.information_request = message
    InformationRequest.objects.create(
        organisation_id=request.organisation_id, request=request, message=message, then=action["then"],
        requested_by=ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None,
    )
    _event(ctx, "information_requested", visible=True, text=message, data={"then": action["then"]})
    key = "request.information_requested" if "request.information_requested" in KINDS else "message.free"
    run_notify(ctx, {"to": "citizen", "message": key}, text=message)


# --- note ---------------------------------------------------------------------------------------------


def check_note(checker, location, action, in_button):
    checker.text(f"{location}.text", action.get("text"), required=not in_button, max_length=5000)


def note_field(action):
    return None if action.get("text") else ("note", _("Note interne"))


def run_note(ctx, action):
    """Add an internal note (never shown to the citizen): the action's text, or the one the agent writes."""
    text = action.get("text") or _form_text(ctx, "note")
    if not text:
        raise InputRequired(_("Écrivez la note interne."), "note")
    _event(ctx, "note", text=text)


# --- generate_document --------------------------------------------------------------------------------

DOCUMENT_VARIABLES = {
    "demande.code": gettext_lazy("Numéro de suivi"),
    "demande.demarche": gettext_lazy("Titre de la démarche"),
    "demande.statut": gettext_lazy("Statut"),
    "demande.date_envoi": gettext_lazy("Date d'envoi (JJ/MM/AAAA)"),
    "demande.date_limite": gettext_lazy("Date limite"),
    "demande.service": gettext_lazy("Service en charge"),
    "demandeur.civilite": gettext_lazy("Civilité du demandeur"),
    "demandeur.prenom": gettext_lazy("Prénom du demandeur"),
    "demandeur.nom": gettext_lazy("Nom du demandeur"),
    "demandeur.adresse": gettext_lazy("Adresse postale du demandeur"),
    "demandeur.courriel": gettext_lazy("Courriel du demandeur"),
    "collectivite.nom": gettext_lazy("Nom de la collectivité"),
    "collectivite.adresse": gettext_lazy("Adresse de la collectivité"),
    "collectivite.telephone": gettext_lazy("Téléphone de la collectivité"),
    "date": gettext_lazy("Date du jour (JJ/MM/AAAA)"),
    "reponses.<identifiant du champ>": gettext_lazy("Réponse à un champ du formulaire"),
}


class _DocumentVariables:
    """Names a document template may use: the listed ones and any `reponses.<field id>`."""

    def __contains__(self, name):
        return name in DOCUMENT_VARIABLES or (name.startswith("reponses.") and name.count(".") == 1)


class _Answers(dict):
    """The form's answers: a field the request has no answer for prints as an empty text."""

    def __contains__(self, key):
        return True

    def __missing__(self, key):
        return ""


def compile_document_template(source):
    """The sandboxed template (same rules as the message templates), or TemplateProblem."""
    from guichet.notifications.rendering import TemplateProblem, _check_node, _env

    if not isinstance(source, str):
        raise TemplateProblem(_("Le modèle doit être un texte."))
    if len(source) > DOCUMENT_MAX_LENGTH:
        raise TemplateProblem(_("Le modèle est trop long : %(max)s caractères au plus.") % {"max": DOCUMENT_MAX_LENGTH})
    from jinja2 import TemplateSyntaxError

    try:
        tree = _env.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(_("Erreur de syntaxe ligne %(line)s : %(message)s") % {
            "line": error.lineno, "message": error.message}) from error
    _check_node(tree, _DocumentVariables())
    return _env.from_string(tree)


def _display(value):
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, list):
        return ", ".join(_display(item) for item in value)
    if isinstance(value, dict):
        return " ".join(str(item) for item in value.values() if item not in (None, ""))
    if value is None:
        return ""
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        return f"{value[8:10]}/{value[5:7]}/{value[:4]}"
    return str(value)


def document_context(request):
    citizen = request.citizen
    organisation = request.organisation
    status = request.status_definition() or {}
    return {
        "demande": {
            "code": request.tracking_code, "demarche": request.version.title, "statut": status.get("label", ""),
            "date_envoi": timezone.localtime(request.submitted_at).strftime("%d/%m/%Y") if request.submitted_at else "",
            "date_limite": request.deadline.strftime("%d/%m/%Y") if request.deadline else "",
            "service": request.service.name if request.service_id else "",
        },
        "demandeur": {
            "civilite": citizen.get_civility_display() if citizen and citizen.civility else "",
            "prenom": citizen.first_name if citizen else "",
            "nom": citizen.last_name if citizen else request.contact_name,
            "adresse": getattr(citizen, "postal_address", "") if citizen else "",
            "courriel": citizen.real_email if citizen else request.contact_email,
        },
        "collectivite": {"nom": organisation.name, "adresse": " ".join(organisation.address.split()),
                         "telephone": organisation.phone},
        "date": timezone.localdate().strftime("%d/%m/%Y"),
        "reponses": _Answers({key: _display(value) for key, value in (request.data or {}).items()}),
    }


def check_generate_document(checker, location, action, in_button):
    from guichet.notifications.rendering import TemplateProblem

    checker.text(f"{location}.title", action.get("title"), required=True, max_length=150)
    if not action.get("template"):
        checker.add(f"{location}.template", _("Écrivez le modèle du document."))
        return
    try:
        compile_document_template(action["template"])
    except TemplateProblem as problem:
        checker.add(f"{location}.template", problem.message)


def render_document_pdf(request, title, text):
    """The document as PDF on the collectivité's letterhead."""
    from django.template.loader import render_to_string
    from django.utils import translation
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from guichet.letters.pdf import french_date, logo_data_uri, paragraphs, place_of

    organisation = request.organisation
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("workflows/document.html", {
            "organisation": organisation, "title": title, "paragraphs": paragraphs(text),
            "logo": logo_data_uri(organisation), "place": place_of(organisation),
            "date": french_date(timezone.localdate()), "code": request.tracking_code,
            "contact_lines": [line.strip() for line in organisation.address.splitlines() if line.strip()],
        })
    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).render()
    document.metadata.title = title
    document.metadata.authors = [organisation.name]
    document.metadata.lang = "fr"
    return document.write_pdf()


def run_generate_document(ctx, action):
    """Produce a PDF from the action's template with the request's data, attached to the request."""
    from django.core.files.base import ContentFile

    from guichet.notifications.rendering import TemplateProblem
    from guichet.service_requests.models import Attachment

    request = ctx.request
    title = action.get("title") or _("Document")
    try:
        text = compile_document_template(action["template"]).render(document_context(request))
    except (TemplateProblem, Exception) as problem:  # noqa: BLE001 — a faulty template is reported, not a crash
        _event(ctx, "action", text=_("Document « %(title)s » non produit : %(error)s") % {
            "title": title, "error": getattr(problem, "message", str(problem))})
        return
    pdf = render_document_pdf(request, title, text)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "document"
    attachment = Attachment(
        organisation_id=request.organisation_id, request=request, original_name=f"{slug}-{request.tracking_code}.pdf",
        content_type="application/pdf", size=len(pdf), source=Attachment.Source.GENERATED,
        uploaded_by=ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None,
    )
    attachment.file.save(f"{slug}.pdf", ContentFile(pdf), save=False)
    attachment.save()
    _event(ctx, "document_generated", visible=True, text=title, data={"attachment": attachment.pk})
    # A document produced for the citizen is a written answer (guichet.answers); its own event is the visible one.
    from guichet.answers.services import record_workflow_answer

    record_workflow_answer(ctx, _("Document « %(title)s » produit pour l'usager.") % {"title": title},
                           attachment_ids=[attachment.pk], visible=False)


# --- webhook ------------------------------------------------------------------------------------------
#
# Two forms: {"type": "webhook", "url": ..., "secret": ...} POSTs the request, signed, to a fixed address;
# {"type": "webhook", "connector": "<slug>", "method": "POST", "path": "/dossiers", "mapping": {...}} calls a
# connector of the collectivité (guichet.connectors: authentication, time-out, number of tries) and writes the
# mapped values of its JSON answer into the request's data (`reponses.<variable>` in documents, `data` in the
# next calls). Both send the same body and run in the background job `call_webhook`.

WEBHOOK_CONNECTOR_KEYS = {"type", "connector", "method", "path", "mapping"}


def check_webhook(checker, location, action, in_button):
    if "connector" in action:
        check_connector_webhook(checker, location, action)
        return
    url = action.get("url")
    try:
        URLValidator(schemes=["http", "https"])(url if isinstance(url, str) else "")
    except ValidationError:
        checker.add(f"{location}.url", _("Indiquez une adresse web commençant par http:// ou https://."))
    secret = action.get("secret")
    if not isinstance(secret, str) or len(secret) < 16:
        checker.add(f"{location}.secret", _("Indiquez un secret partagé d'au moins 16 caractères."))


def check_connector_webhook(checker, location, action):
    """The connector form. The checker does not know the collectivité: the slug's form is checked here, an
    unknown or deactivated connector is reported on the request's timeline when the action runs."""
    from guichet.connectors.models import SLUG_PATTERN
    from guichet.connectors.services import METHODS, check_mapping, check_path

    slug = action.get("connector")
    if not isinstance(slug, str) or not SLUG_PATTERN.fullmatch(slug):
        checker.add(f"{location}.connector", _("Indiquez l'identifiant d'un connecteur (lettres minuscules, "
                                               "chiffres, tirets)."))
    if "url" in action or "secret" in action:
        checker.add(location, _("Un appel par connecteur ne prend ni adresse (url) ni secret : ils sont ceux du "
                                "connecteur."))
    unknown = sorted(set(action) - WEBHOOK_CONNECTOR_KEYS - {"url", "secret"})
    if unknown:
        checker.add(location, _("Clés inconnues : %(keys)s.") % {"keys": ", ".join(map(str, unknown))})
    if action.get("method", "POST") not in METHODS:
        checker.add(f"{location}.method", _("Méthode HTTP inconnue : choisissez parmi %(methods)s.") % {
            "methods": ", ".join(METHODS)})
    problem = check_path(action.get("path", ""))
    if problem:
        checker.add(f"{location}.path", problem)
    if "mapping" in action:
        for _target, message in check_mapping(action["mapping"]):
            checker.add(f"{location}.mapping", message)


def webhook_body(ctx):
    request = ctx.request
    return json.dumps({
        "event": ctx.reason or "workflow",
        "request": request.tracking_code,
        "procedure": request.procedure.slug,
        "procedure_title": request.version.title,
        "status": request.status,
        "data": request.data,
    }, ensure_ascii=False, sort_keys=True)


def _active_connector(organisation_id, slug):
    from guichet.connectors.models import Connector

    return Connector.objects.filter(organisation_id=organisation_id, slug=slug, is_active=True).first()


def run_webhook(ctx, action):
    """Call an external service: the request as JSON, by a background job retried on failure; each response
    (status and start of the body, and what the mapping stored) is recorded on the timeline."""
    request = ctx.request
    if "connector" in action:
        connector = _active_connector(request.organisation_id, action["connector"])
        if connector is None:
            _event(ctx, "webhook", text=_("Appel impossible : le connecteur « %(slug)s » n'existe pas ou est "
                                          "désactivé.") % {"slug": action["connector"]},
                   data={"connector": action["connector"], "error": "unknown"})
            return
        call_webhook.enqueue(request.pk, ctx.path, webhook_body(ctx))
        _event(ctx, "webhook", text=_("Appel du connecteur « %(name)s » programmé.") % {"name": connector.name},
               data={"connector": connector.slug})
        return
    call_webhook.enqueue(request.pk, ctx.path, webhook_body(ctx))
    _event(ctx, "webhook", text=_("Appel de %(url)s programmé.") % {"url": action["url"]}, data={"url": action["url"]})


def describe_webhook(action):
    if "connector" in action:
        return _("Appeler le connecteur « %(c)s » (%(m)s %(p)s)") % {
            "c": action.get("connector"), "m": action.get("method", "POST"), "p": action.get("path") or "/"}
    return _("Appeler %(u)s") % {"u": action.get("url")}


def _resolve(defn, path):
    node = defn
    for step in path:
        node = node[step]
    return node


class WebhookFailed(Exception):
    pass


def _webhook_attempts(request_id, path, body):
    """How many tries a webhook job gets: its connector's own number, else the platform's default."""
    from guichet.connectors.models import Connector
    from guichet.service_requests.models import ServiceRequest

    try:
        service_request = ServiceRequest.objects.select_related("version").get(pk=request_id)
        slug = _resolve(service_request.version.workflow, path).get("connector")
        if not slug:
            return None
        return Connector.objects.filter(organisation_id=service_request.organisation_id, slug=slug).values_list(
            "max_attempts", flat=True).first()
    except Exception:  # noqa: BLE001 — the default applies to whatever cannot be resolved
        return None


@durable_task(max_attempts=_webhook_attempts)
def call_webhook(request_id, path, body):
    """Background job: send `body` to the webhook found at `path` in the request's workflow snapshot."""
    import requests

    from guichet.service_requests.models import ServiceRequest
    from guichet.service_requests.services import add_event

    service_request = ServiceRequest.objects.select_related("version").get(pk=request_id)
    action = _resolve(service_request.version.workflow, path)
    if "connector" in action:
        return call_connector_webhook(service_request, action, body)
    raw = body.encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Guichet-webhook/1",
        "X-Guichet-Signature": signature(action["secret"], raw, int(time.time())),
    }
    from guichet.connectors.destinations import refused_destination

    refused = refused_destination(action["url"])
    if refused:  # a link-local / metadata address (or a private one where the platform forbids them): never called
        add_event(service_request, "webhook", text=_("Échec de l'appel de %(url)s : %(error)s") % {
            "url": action["url"], "error": refused}, data={"url": action["url"], "error": refused})
        return "adresse refusée"
    timeout = settings.GUICHET_HTTP_TIMEOUT
    started = time.monotonic()
    try:
        # Streamed: only the start of the answer is read (kept on the timeline), within the time-out overall — a
        # huge or dripping answer neither fills the worker's memory nor holds it for ever.
        with requests.post(action["url"], data=raw, headers=headers, timeout=timeout, allow_redirects=False,
                           stream=True) as response:
            kept = b""
            while len(kept) < WEBHOOK_BODY_KEEP and time.monotonic() - started <= timeout:
                # What has arrived, without waiting for more (iter_content would block until its chunk is full).
                chunk = response.raw.read1(WEBHOOK_BODY_KEEP - len(kept), decode_content=True)
                if not chunk:
                    break
                kept += chunk
    except requests.RequestException as error:
        add_event(service_request, "webhook", text=_("Échec de l'appel de %(url)s : %(error)s") % {
            "url": action["url"], "error": error.__class__.__name__}, data={"url": action["url"], "error": str(error)[:500]})
        raise WebhookFailed(str(error)) from error
    text = kept[:WEBHOOK_BODY_KEEP].decode("utf-8", errors="replace").replace("\x00", "\ufffd")  # PostgreSQL: no NUL
    add_event(service_request, "webhook", text=_("Réponse %(status)s de %(url)s.") % {
        "status": response.status_code, "url": action["url"]},
        data={"url": action["url"], "status": response.status_code, "body": text})
    if not 200 <= response.status_code < 300:
        raise WebhookFailed(f"HTTP {response.status_code}")
    return response.status_code


def call_connector_webhook(service_request, action, body):
    """The connector form of the job: call through guichet.connectors, record the answer, apply the mapping.

    A failure the service may get over (no connection, time-out, 5xx, 429) raises, so the job is tried again
    up to the connector's number of tries; a refusal (other 4xx, invalid JSON, too large) is only recorded."""
    from guichet.connectors.services import ConnectorError, call, store_mapped
    from guichet.service_requests.services import add_event

    slug = action["connector"]
    connector = _active_connector(service_request.organisation_id, slug)
    if connector is None:
        add_event(service_request, "webhook", text=_("Appel impossible : le connecteur « %(slug)s » n'existe pas ou "
                                                     "est désactivé.") % {"slug": slug},
                  data={"connector": slug, "error": "unknown"})
        return "connecteur introuvable"
    mapping = action.get("mapping") or {}
    try:
        response = call(connector, action.get("method", "POST"), action.get("path", ""), body=body.encode(),
                        expect_json=bool(mapping))
    except ConnectorError as error:
        add_event(service_request, "webhook", text=_("Échec de l'appel du connecteur « %(name)s » : %(error)s") % {
            "name": connector.name, "error": error.message},
            data={"connector": slug, "status": error.status, "error": error.message, "body": error.body})
        if error.retryable:
            raise WebhookFailed(error.message) from error
        return error.status
    data = {"connector": slug, "status": response.status, "body": response.text[:WEBHOOK_BODY_KEEP]}
    text = _("Réponse %(status)s du connecteur « %(name)s ».") % {"status": response.status, "name": connector.name}
    if mapping:
        stored, missing, refused = store_mapped(service_request, mapping, response.json)
        missing, refused = sorted(missing), sorted(refused)  # JSONB does not keep the mapping's order
        data.update({"stored": stored, "missing": missing, "refused": refused})
        if stored:
            text += " " + _("Enregistré : %(names)s.") % {"names": ", ".join(sorted(stored))}
        if missing:
            text += " " + _("Absent de la réponse, non modifié : %(names)s.") % {
                "names": ", ".join(f"{target} ({mapping[target]})" for target in missing)}
        if refused:
            text += " " + _("Non modifié car c'est une réponse de l'usager : %(names)s.") % {
                "names": ", ".join(refused)}
    add_event(service_request, "webhook", text=text, data=data)
    return response.status


# --- set_deadline -------------------------------------------------------------------------------------


def check_set_deadline(checker, location, action, in_button):
    from_procedure = action.get("from_procedure")
    has_days = action.get("days") is not None
    if bool(from_procedure) == has_days:
        checker.add(location, _("Indiquez soit un nombre de jours (days), soit le délai de la démarche "
                                "(from_procedure), l'un des deux."))
    elif has_days:
        checker.positive_days(f"{location}.days", action["days"])
    if "working_days" in action and not isinstance(action["working_days"], bool):
        checker.add(f"{location}.working_days", _("Cette valeur doit être true ou false."))


def run_set_deadline(ctx, action):
    """Set the request's deadline: the procedure's own, or a number of calendar or working days from today
    (working days skip weekends and French public holidays)."""
    from guichet.procedures.services import deadline_for, working_days_after

    request = ctx.request
    today = timezone.localdate()
    if action.get("from_procedure"):
        start = timezone.localdate(request.submitted_at) if request.submitted_at else today
        deadline = deadline_for(request.version, start)
    elif action.get("working_days"):
        deadline = working_days_after(today, action["days"], request.organisation)
    else:
        deadline = today + datetime.timedelta(days=action["days"])
    request.deadline = deadline
    _event(ctx, "deadline_set", text=_("Date limite : %(date)s.") % {
        "date": deadline.strftime("%d/%m/%Y") if deadline else _("aucune")},
        data={"deadline": deadline.isoformat() if deadline else None})


# --- anonymise_after ----------------------------------------------------------------------------------


def check_anonymise_after(checker, location, action, in_button):
    checker.positive_days(f"{location}.days", action.get("days"))


def run_anonymise_after(ctx, action):
    """Plan the erasure of the request's personal data `days` days from now (done by a daily job once the
    request is closed)."""
    from .models import ScheduledAnonymisation

    request = ctx.request
    due = timezone.localdate() + datetime.timedelta(days=action["days"])
    ScheduledAnonymisation.objects.update_or_create(
        request=request, defaults={"organisation_id": request.organisation_id, "due_on": due}
    )
    _event(ctx, "action", text=_("Données personnelles effacées à partir du %(date)s.") % {
        "date": due.strftime("%d/%m/%Y")}, data={"anonymise_on": due.isoformat()})


ACTIONS = {
    action.key: action
    for action in [
        ActionType("goto", gettext_lazy("Changer de statut"), check_goto, run_goto,
                   lambda a: _("Aller au statut « %(s)s »") % {"s": a.get("status")}),
        ActionType("assign", gettext_lazy("Attribuer"), check_assign, run_assign,
                   lambda a: _("Attribuer au service « %(s)s »") % {"s": a["service"]} if a.get("service") else
                   (_("Attribuer à l'agent qui agit") if a.get("agent") == "self" else
                    _("Attribuer à %(s)s") % {"s": a.get("agent")})),
        ActionType("notify", gettext_lazy("Envoyer un message"), check_notify, run_notify_action, describe_notify),
        ActionType("request_info", gettext_lazy("Demander un complément à l'usager"), check_request_info,
                   run_request_info,
                   lambda a: _("Demander un complément, puis aller à « %(s)s »") % {"s": a.get("then")},
                   request_info_field),
        ActionType("note", gettext_lazy("Ajouter une note interne"), check_note, run_note,
                   lambda a: _("Note interne : %(t)s") % {"t": a["text"]} if a.get("text") else
                   _("Note interne écrite par l'agent"), note_field),
        ActionType("generate_document", gettext_lazy("Produire un document PDF"), check_generate_document,
                   run_generate_document, lambda a: _("Produire le document « %(t)s »") % {"t": a.get("title")}),
        ActionType("webhook", gettext_lazy("Appeler un service externe (webhook)"), check_webhook, run_webhook,
                   describe_webhook),
        ActionType("set_deadline", gettext_lazy("Fixer la date limite"), check_set_deadline, run_set_deadline,
                   lambda a: _("Date limite : délai de la démarche") if a.get("from_procedure") else
                   (_("Date limite : dans %(n)s jours ouvrés") if a.get("working_days") else
                    _("Date limite : dans %(n)s jours")) % {"n": a.get("days")}),
        ActionType("anonymise_after", gettext_lazy("Anonymiser après un délai"), check_anonymise_after,
                   run_anonymise_after, lambda a: _("Anonymiser %(n)s jours après la clôture") % {"n": a.get("days")}),
    ]
}


def describe(action):
    """A French sentence describing an action (or its raw type when it is not well-formed)."""
    kind = ACTIONS.get(action.get("type")) if isinstance(action, dict) else None
    if kind is None:
        return _("Action inconnue")
    try:
        return kind.describe(action)
    except (KeyError, TypeError):
        return str(kind.label)


def inputs_of(actions):
    """The fields a button asks the agent for: [(name, label)], without duplicates."""
    fields = []
    for action in actions or []:
        kind = ACTIONS.get(action.get("type")) if isinstance(action, dict) else None
        field = kind.input_field(action) if kind else None
        if field and field[0] not in [name for name, _label in fields]:
            fields.append(field)
    return fields
