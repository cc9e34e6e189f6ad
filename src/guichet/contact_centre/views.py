"""Pages of the contact centre (under /agents/appels/): the call screen and its live fragment, taking a call,
starting a contact by hand, the call log, the journal, and the administrators' telephony secrets.

Every query starts from `request.organisation`; a call, a contact, a citizen of another collectivité is a 404.
The rules live in `services`.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guichet.agents.permissions import agent_required, is_org_admin, org_admin_required

from . import services
from .forms import ContactLogForm, JournalFilterForm, SecretForm, StartContactForm
from .models import Contact, IncomingCall

PAGE_SIZE = 50


def url_of(name, *args, query=""):
    """The URL of another app's page (citizen records, knowledge base, directory), with its query string."""
    url = reverse(name, args=args)
    return f"{url}?{query}" if query else url


def _search_urls():
    return {"knowledge_url": url_of("knowledge:search"), "directory_url": url_of("directory:search")}


def _object_or_404(queryset, pk):
    if not 0 < pk < 2**63:
        raise Http404
    return get_object_or_404(queryset, pk=pk)


def _pop_context(request):
    calls = services.pop(request.user, request.organisation)
    for entry in calls:
        for item in entry["citizens"]:
            item["record_url"] = url_of("citizen_records:record", item["citizen"].pk)
    return {"calls": calls, "refreshed_at": timezone.now()}


@agent_required
@require_GET
def screen(request):
    context = _pop_context(request)
    context.update(_search_urls())
    context.update({
        "open_contacts": services.contacts_of_agent_open(request.user, request.organisation),
        "extension": request.user.phone_extension,
        "citizen_search_url": url_of("citizen_records:search"),
    })
    return render(request, "contact_centre/screen.html", context)


@agent_required
@require_GET
def ringing(request):
    """The fragment the screen's script fetches every few seconds (the ringing calls only)."""
    response = render(request, "contact_centre/_ringing.html", _pop_context(request))
    response["Cache-Control"] = "no-store"
    return response


@agent_required
@require_POST
def take(request, pk):
    call = _object_or_404(IncomingCall.objects.of(request.organisation), pk)
    citizen = None
    if request.POST.get("citizen"):
        citizen = services.citizen_of(request.organisation, request.POST["citizen"])
        if citizen is None:
            raise Http404
    try:
        contact = services.take_call(call, request.user, citizen=citizen)
    except services.ContactRefused as refused:
        messages.error(request, refused.message)
        return redirect("contact_centre:screen")
    return redirect("contact_centre:contact", contact.pk)


@agent_required
@require_POST
def start(request):
    form = StartContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Ce contact n'a pas pu être commencé : vérifiez le numéro saisi."))
        return redirect("contact_centre:screen")
    citizen = None
    if form.cleaned_data.get("citizen"):
        citizen = services.citizen_of(request.organisation, form.cleaned_data["citizen"])
        if citizen is None:
            raise Http404
    contact = services.start_contact(request.organisation, request.user, form.cleaned_data["kind"],
                                     citizen=citizen, caller_number=form.cleaned_data.get("caller") or "")
    return redirect("contact_centre:contact", contact.pk)


def _may_log(user, contact):
    return contact.agent_id == user.pk or is_org_admin(user)


def _log_form(request, contact, data=None):
    citizen_requests = list(services.requests_of_citizen(request.organisation, contact.citizen))
    initial = {}
    if contact.is_logged:
        initial = {
            "reason": contact.reason, "outcome": contact.outcome, "notes": contact.notes,
            "duration": services.format_duration(contact.duration),
            "transferred_to_service": contact.transferred_to_service_id,
            "transferred_to_agent": contact.transferred_to_agent_id,
            "created_request": contact.created_request_id, "related_request": contact.related_request_id,
        }
    else:
        initial["duration"] = services.format_duration(timezone.now() - contact.started_at)
        created = [r for r in citizen_requests if r.created_at >= contact.started_at]
        if created:  # the latest request entered for the citizen during the call
            initial["created_request"] = created[0].pk
    return ContactLogForm(data, initial=initial, organisation=request.organisation,
                          citizen_requests=citizen_requests)


def _candidates(request, contact):
    """The citizens with the phone number the agent typed (`?numero=`), to name the citizen of the contact."""
    from guichet.citizen_records.services import citizens_by_phone

    number = (request.GET.get("numero") or "").strip()[:40]
    if contact.citizen_id is not None or not number:
        return number, None
    return number, citizens_by_phone(request.organisation, number)


def _contact_page(request, contact, form, status=200):
    citizen = contact.citizen
    number_searched, candidates = _candidates(request, contact)
    open_requests = services.open_requests_of(request.organisation, [citizen]).get(citizen.pk, []) if citizen else []
    channel = "phone" if contact.kind == Contact.Kind.CALL else "counter"
    context = {
        "contact": contact, "form": form, "may_log": _may_log(request.user, contact),
        "open_requests": open_requests,
        "number": services.format_number(contact.caller_number),
        "record_url": url_of("citizen_records:record", citizen.pk) if citizen else "",
        "start_request_url": url_of("citizen_records:start", citizen.pk, query=f"canal={channel}")
        if citizen else "",
        "citizen_search_url": url_of("citizen_records:search"),
        "outcome_detail": services.outcome_detail(contact),
        "duration": services.format_duration(contact.duration),
        "number_searched": number_searched, "candidates": candidates,
    }
    context.update(_search_urls())
    return render(request, "contact_centre/contact.html", context, status=status)


@agent_required
@require_http_methods(["GET", "POST"])
def contact(request, pk):
    contact = _object_or_404(
        Contact.objects.of(request.organisation).select_related(
            "agent", "citizen", "incoming_call", "transferred_to_service", "transferred_to_agent",
            "created_request", "related_request"),
        pk,
    )
    if request.method == "GET":
        # A logged contact shows its report; « Corriger le compte rendu » (?modifier=1) gives the form back.
        editing = _may_log(request.user, contact) and (not contact.is_logged or request.GET.get("modifier") == "1")
        return _contact_page(request, contact, _log_form(request, contact) if editing else None)
    if not _may_log(request.user, contact):
        raise PermissionDenied
    form = _log_form(request, contact, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.log_contact(
                contact, request.user, reason=data["reason"], outcome=data["outcome"], duration=data["duration"],
                notes=data["notes"], transferred_to_service=data["transferred_to_service"],
                transferred_to_agent=data["transferred_to_agent"], created_request=data["created_request"],
                related_request=data["related_request"],
            )
        except services.ContactRefused as refused:
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        else:
            if contact.kind == Contact.Kind.CALL:
                messages.success(request, _("L'appel est consigné."))
            else:
                messages.success(request, _("Le passage à l'accueil est consigné."))
            return redirect("contact_centre:contact", contact.pk)
    contact.refresh_from_db()
    return _contact_page(request, contact, form, status=400)


@agent_required
@require_POST
def attach(request, pk):
    contact = _object_or_404(Contact.objects.of(request.organisation), pk)
    if not _may_log(request.user, contact):
        raise PermissionDenied
    citizen = services.citizen_of(request.organisation, request.POST.get("citizen"))
    if citizen is None:
        raise Http404
    try:
        services.attach_citizen(contact, citizen)
    except services.ContactRefused as refused:
        messages.error(request, refused.message)
    return redirect("contact_centre:contact", contact.pk)


@agent_required
@require_GET
def journal(request):
    form = JournalFilterForm(request.GET or None, organisation=request.organisation)
    contacts = services.journal(request.organisation)
    status = 200
    if form.is_bound:
        if form.is_valid():
            contacts = form.filter(contacts)
        else:
            status = 400
            contacts = contacts.none()
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"contact": c, "outcome": services.outcome_detail(c), "duration": services.format_duration(c.duration),
             "number": services.format_number(c.caller_number)} for c in page]
    return render(request, "contact_centre/journal.html", {"form": form, "page": page, "rows": rows},
                  status=status)


# --- administrators: the telephony secrets ---------------------------------------------------------------------


def _telephony_page(request, form, clear=None, status=200):
    secrets = services.TelephonySecret.objects.of(request.organisation).select_related("created_by")
    response = render(request, "contact_centre/telephony.html", {
        "form": form, "secrets": secrets, "clear": clear,
        "webhook_url": request.build_absolute_uri(reverse("contact_centre_api:incoming_call")),
    }, status=status)
    response["Cache-Control"] = "no-store"
    return response


@org_admin_required
@require_http_methods(["GET", "POST"])
def telephony(request):
    form = SecretForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _telephony_page(request, form, status=400)
        secret, clear = services.generate_secret(request.organisation, request.user, form.cleaned_data["label"])
        return _telephony_page(request, SecretForm(), clear=clear)
    return _telephony_page(request, form)


@org_admin_required
@require_POST
def revoke(request, pk):
    secret = _object_or_404(services.TelephonySecret.objects.of(request.organisation), pk)
    services.revoke_secret(secret)
    messages.success(request, _("Le secret « %(name)s » est révoqué : la téléphonie qui le présente est refusée.")
                     % {"name": str(secret)})
    return redirect("contact_centre:telephony")


@org_admin_required
@require_http_methods(["GET", "POST"])
def extensions(request):
    """The agents' phone extensions: the call rings on the screen of the agent whose extension it names."""
    agents = services.transfer_agents(request.organisation)
    status, refused_for, typed = 200, None, ""
    if request.method == "POST":
        agent = _object_or_404(agents, _int(request.POST.get("agent")))
        typed = request.POST.get("extension", "")[:40]
        try:
            services.set_extension(request.organisation, agent, typed)
        except services.ContactRefused as refused:
            messages.error(request, refused.message)
            status, refused_for = 400, agent.pk
        else:
            messages.success(request, _("Le poste de %(name)s est enregistré.") % {
                "name": agent.get_full_name() or agent.email})
            return redirect("contact_centre:extensions")
    return render(request, "contact_centre/extensions.html", {
        "agents": agents, "refused_for": refused_for, "typed": typed,
    }, status=status)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
