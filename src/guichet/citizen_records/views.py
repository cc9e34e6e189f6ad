"""Agents' pages of citizen records (under /agents/usagers/): look-up, minimal record, the record (identity,
household, requests, one history), a request started on the citizen's behalf, a draft taken over.

Every query starts from `request.organisation`: a citizen or a draft of another collectivité is a 404; citizens
get 403 (`agent_required`). The rules live in `services`.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guichet.agents.permissions import agent_required
from guichet.procedures.models import Procedure
from guichet.service_requests import services as request_services
from guichet.service_requests.models import ServiceRequest

from . import services
from .forms import CitizenForm, ContactStartForm, SearchForm, StartForm, TakeOverForm
from .history import citizen_history


def _citizen(request, pk):
    return get_object_or_404(services.citizens(request.organisation), pk=pk)


@agent_required
@require_http_methods(["GET"])
def search(request):
    """`/agents/usagers/`: the look-up form; results (paginated) once a criterion is given."""
    bound = any(request.GET.get(name, "").strip() for name in SearchForm.FIELDS)
    form = SearchForm(request.GET if bound else None)
    page = without_account = None
    if bound and form.is_valid():
        criteria = form.criteria()
        page = Paginator(services.search_citizens(request.organisation, criteria), services.SEARCH_PER_PAGE) \
            .get_page(request.GET.get("page"))
        without_account = services.request_without_account(request.organisation, criteria.get("code"))
    return render(request, "citizen_records/search.html", {
        "form": form, "page": page, "without_account": without_account, "searched": bound,
    }, status=400 if form.errors else 200)


@agent_required
@require_http_methods(["GET", "POST"])
def create(request):
    """`/agents/usagers/nouveau/`: a minimal record; likely existing records are shown before creating one."""
    initial = {"last_name": request.GET.get("nom", "")[:150], "preferred_channel": "email"}
    if request.GET.get("telephone"):
        initial["phone"] = request.GET["telephone"][:30]
    form = CitizenForm(request.POST or None, organisation=request.organisation, initial=initial)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        fields = form.account_fields()
        duplicates = services.likely_duplicates(
            request.organisation, last_name=fields["last_name"], first_name=fields.get("first_name", ""),
            birth_date=fields.get("birth_date"), phone=fields.get("phone"), email=fields.get("email", ""),
        )
        if duplicates and not form.cleaned_data["confirm_duplicate"]:
            form.add_error(None, _(
                "Une ou plusieurs fiches ressemblent à celle-ci (même nom et date de naissance, même téléphone ou "
                "même adresse électronique) : ouvrez-les pour vérifier, ou cochez la case en bas du formulaire "
                "pour créer quand même une nouvelle fiche."))
        else:
            citizen = services.create_citizen(request.organisation, request.user, **fields)
            messages.success(request, _("La fiche de %(name)s est créée.") % {"name": citizen.get_full_name()})
            return redirect("citizen_records:record", citizen.pk)
    return render(request, "citizen_records/create.html", {"form": form, "duplicates": duplicates},
                  status=400 if form.errors else 200)


@agent_required
@require_http_methods(["GET"])
def record(request, pk):
    """`/agents/usagers/<pk>/`: identity, contact details, household, requests and the one history."""
    from guichet.households.services import members_of

    from guichet.accounts.services import format_phone

    citizen = _citizen(request, pk)
    citizen.organisation = request.organisation
    requests = services.citizen_requests(request.organisation, citizen)
    history = citizen_history(request.organisation, citizen)
    for item in history:
        item.channel_label = services.channel_label(item.channel)
    return render(request, "citizen_records/record.html", {
        "citizen": citizen,
        "email": citizen.real_email,
        "phone": format_phone(citizen.phone),
        "online_account": citizen.has_usable_password(),
        "may_invite": services.may_invite(citizen),
        "members": list(members_of(citizen).order_by("first_name", "last_name", "pk")),
        "drafts": [(item, services.may_take_over(item)) for item in requests if item.is_draft],
        "open_requests": [item for item in requests if item.is_submitted and not item.is_closed
                          and not item.is_withdrawn],
        "closed_requests": [item for item in requests if item.is_submitted and (item.is_closed or item.is_withdrawn)],
        "history": history,
        "takeover_form": TakeOverForm(initial={"canal": request.GET.get("canal") or "counter"}),
        "channel": request.GET.get("canal", ""),
    })


def _procedures(request):
    return list(
        Procedure.objects.of(request.organisation)
        .filter(state=Procedure.State.PUBLISHED, current_version__isnull=False)
        .select_related("current_version").defer("current_version__form", "current_version__workflow",
                                                  "draft_form")
        .order_by("title", "pk")
    )


def _start(request, form, procedures, **who):
    """Start the draft from a valid StartForm → redirect to its filling pages, or None (error on the form)."""
    procedure = next((p for p in procedures if p.pk == form.cleaned_data["procedure"]), None)
    if procedure is None:
        form.add_error("procedure", _("Choisissez une démarche de la liste."))
        return None
    try:
        draft = services.start_on_behalf(version=procedure.current_version, agent=request.user,
                                         channel=form.cleaned_data["canal"], **who)
    except request_services.StartRefused as refusal:
        form.add_error(None, refusal.message)
        return None
    messages.success(request, _(
        "Demande « %(title)s » commencée (%(code)s). Remplissez-la avec l'usager puis envoyez-la depuis le "
        "récapitulatif.") % {"title": procedure.title, "code": draft.tracking_code})
    return redirect(services.fill_url(draft))


def _channel_initial(request):
    channel = request.GET.get("canal", "")
    return channel if channel in services.ON_BEHALF_CHANNELS else ServiceRequest.Channel.COUNTER


@agent_required
@require_http_methods(["GET", "POST"])
def start(request, pk):
    """`/agents/usagers/<pk>/nouvelle-demande/`: any published procedure, the channel, then the filling pages."""
    citizen = _citizen(request, pk)
    procedures = _procedures(request)
    form = StartForm(request.POST or None, procedures=procedures, initial={"canal": _channel_initial(request)})
    if request.method == "POST" and form.is_valid():
        response = _start(request, form, procedures, citizen=citizen)
        if response is not None:
            return response
    return render(request, "citizen_records/start.html", {
        "form": form, "citizen": citizen, "procedures": procedures,
    }, status=400 if form.errors else 200)


@agent_required
@require_http_methods(["GET", "POST"])
def start_without_record(request):
    """`/agents/usagers/nouvelle-demande/`: a request for someone without a record (contact details only)."""
    procedures = _procedures(request)
    form = ContactStartForm(request.POST or None, procedures=procedures,
                            initial={"canal": _channel_initial(request)})
    if request.method == "POST" and form.is_valid():
        response = _start(request, form, procedures, contact_name=form.cleaned_data["contact_name"],
                          contact_email=form.cleaned_data["contact_email"],
                          contact_phone=form.cleaned_data["contact_phone"])
        if response is not None:
            return response
    return render(request, "citizen_records/start.html", {
        "form": form, "citizen": None, "procedures": procedures,
    }, status=400 if form.errors else 200)


@agent_required
@require_POST
def take_over(request, pk, code):
    """POST `/agents/usagers/<pk>/brouillons/<code>/reprendre/`: the agent takes over the citizen's online draft."""
    citizen = _citizen(request, pk)
    draft = (ServiceRequest.objects.of(request.organisation)
             .filter(citizen=citizen, tracking_code=code, anonymised_at__isnull=True).first())
    if draft is None:
        raise Http404(_("Brouillon introuvable."))
    form = TakeOverForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez le canal (accueil, téléphone, courrier ou courriel) pour reprendre "
                                  "le brouillon."))
        return redirect("citizen_records:record", citizen.pk)
    try:
        draft = services.take_over(draft, agent=request.user, channel=form.cleaned_data["canal"])
    except request_services.AlreadySubmitted:
        messages.info(request, _("Cette demande a été envoyée entre-temps : elle n'est plus un brouillon."))
        return redirect("citizen_records:record", citizen.pk)
    except request_services.StartRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("citizen_records:record", citizen.pk)
    messages.success(request, _("Vous avez repris le brouillon « %(title)s » : finissez-le avec l'usager.") % {
        "title": draft.version.title})
    return redirect(services.fill_url(draft))


@agent_required
@require_POST
def invite(request, pk):
    """POST `/agents/usagers/<pk>/invitation/`: e-mail a record created by an agent the link to choose a password."""
    citizen = _citizen(request, pk)
    citizen.organisation = request.organisation
    try:
        services.send_account_invitation(request, citizen)
    except services.InvitationRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Le lien pour ouvrir son compte en ligne est envoyé à %(email)s.") % {
            "email": citizen.email})
    return redirect("citizen_records:record", citizen.pk)
