"""The mail room's core pages, under /agents/courrier-entrant/: the to-qualify queue, a message's page, the
agent's actions on it (POST only) and the downloads of its files (private storage, checked).

Every message is looked up among those the agent may see (`services.mails_for_agent`: the collectivité's, and
for a non-administrator those of their services or of no service): anything else is a 404. The rules live in
`services`; the views only read forms and show their refusals (French) without losing what was typed."""

from pathlib import PurePosixPath
from types import SimpleNamespace

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guichet.agents.permissions import agent_required, is_org_admin
from guichet.service_requests.files import attachment_response
from guichet.service_requests.services import StartRefused

from . import services
from .forms import ME, NOBODY, AnswerForm, AssignForm, AttachForm, CreateRequestForm, FileForm, QueueFilterForm
from .models import IncomingMail, MailAttachment

PER_PAGE = 50


def _mails(request):
    return services.mails_for_agent(request.user, request.organisation)


@require_GET
@agent_required
def mail_list(request):
    form = QueueFilterForm(request.GET, organisation=request.organisation)
    mails = _mails(request)
    states = [IncomingMail.State.TO_QUALIFY]
    if form.is_valid():
        data = form.cleaned_data
        states = form.states()
        if data.get("q"):
            found = services.search_mail(request.organisation, data["q"])
            mails = mails.filter(pk__in=found.values("pk"))
        if states:
            mails = mails.filter(state__in=states)
        if data.get("channel"):
            mails = mails.filter(channel=data["channel"])
        if data.get("service"):
            mails = mails.filter(service_id=int(data["service"]))
        assigned = data.get("assigned")
        if assigned == ME:
            mails = mails.filter(assigned_to=request.user)
        elif assigned == NOBODY:
            mails = mails.filter(assigned_to__isnull=True)
        elif assigned:
            mails = mails.filter(assigned_to_id=int(assigned))
    else:
        mails = mails.filter(state__in=states)
    mails = (
        mails.select_related("service", "assigned_to", "citizen")
        .annotate(file_count=Count("attachments", filter=Q(attachments__refused_reason="")))
        .defer("body", "ocr_text", "recipients", "search_text", "search_vector", "sender_address")
        .order_by("-received_at", "-pk")
    )
    page = Paginator(mails, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "mailroom/list.html", {
        "form": form, "page": page, "querystring": form.querystring() if form.is_valid() else "",
        "states": dict(IncomingMail.State.choices),
        "showing_default": not (form.is_valid() and form.cleaned_data.get("state")),
    }, status=200 if form.is_valid() else 400)


def _mail_or_404(request, pk):
    return get_object_or_404(
        _mails(request).select_related("service", "assigned_to", "citizen", "request", "suggested_request",
                                       "handled_by", "mailbox"),
        pk=pk,
    )


def _render_detail(request, mail, *, forms=None, status=200, refusal="", identify_error=""):
    forms = forms or {}
    sender_search = (request.GET.get("expediteur") if request.method == "GET" else None)
    sender_search = mail.sender_name if sender_search is None else sender_search[:150]
    initial = {"lock_version": mail.lock_version}
    needs_address = services.needs_postal_record(mail)
    address = services.sender_address_parts(mail) if needs_address else {}
    attach_initial = dict(initial)
    if mail.suggested_request_id:
        attach_initial["code"] = mail.suggested_request.tracking_code
    attachments = list(mail.attachments.all())
    context = {
        "mail": mail,
        "pending": mail.state in services.PENDING_STATES,
        # Still being read (e-mail not parsed, scans not OCR'd): only the assignment can be changed meanwhile.
        "reading": mail.state == IncomingMail.State.RECEIVED,
        "attachments": attachments,
        "scans": [item for item in attachments if item.is_scan],
        "files": [item for item in attachments if not item.is_scan],
        "create_form": forms.get("create") or CreateRequestForm(initial={**initial, **address},
                                                                organisation=request.organisation,
                                                                needs_address=needs_address),
        "attach_form": forms.get("attach") or AttachForm(initial=attach_initial),
        "answer_form": forms.get("answer") or AnswerForm(initial={**initial, **address}, needs_address=needs_address),
        "file_form": forms.get("file") or FileForm(initial=initial),
        "assign_form": forms.get("assign") or AssignForm(
            initial={**initial, "service": mail.service_id, "assigned_to": mail.assigned_to_id},
            organisation=request.organisation),
        "needs_address": needs_address,
        "sender_search": sender_search,
        "identify_error": identify_error if mail.state == IncomingMail.State.TO_QUALIFY else "",
        "sender_candidates": (services.sender_candidates(mail, sender_search)
                              if mail.citizen_id is None and mail.state == IncomingMail.State.TO_QUALIFY else []),
        "raw_allowed": bool(mail.raw) and (is_org_admin(request.user)
                                           or not any(item.refused_reason for item in attachments)),
        "request_url": _request_url(mail.request) if mail.request_id else "",
        # An action refused on a message handled meanwhile (or still being read): its form is no longer shown, the
        # reason is.
        "refusal": refusal if mail.state != IncomingMail.State.TO_QUALIFY else "",
    }
    return render(request, "mailroom/detail.html", context, status=status)


def _request_url(service_request):
    """Where the agent reads the request made from the message (or goes on filling it while it is a draft)."""
    if service_request.is_draft:
        from guichet.citizen_records.services import fill_url

        return fill_url(service_request)
    return reverse("agent_requests:detail", args=[service_request.tracking_code])


@require_GET
@agent_required
def mail_detail(request, pk):
    return _render_detail(request, _mail_or_404(request, pk))


def _refused(request, mail, key, form, message):
    form.add_error(None, message)
    return _render_detail(request, _mail_or_404(request, mail.pk), forms={key: form}, status=409, refusal=message)


def _done(request, mail, message):
    messages.success(request, message)
    return redirect("mailroom:detail", pk=mail.pk)


def _act(request, mail, key, form, action, success):
    """One agent action on the message's page: the form checked (400, its errors shown), `action(data)` done by
    the service (409 with its French refusal, the typed text kept), then `success(result)` → the response."""
    if not form.is_valid():
        return _render_detail(request, mail, forms={key: form}, status=400)
    try:
        result = action(form.cleaned_data)
    except (services.HandlingRefused, StartRefused) as refusal:
        return _refused(request, mail, key, form, refusal.message)
    return success(result)


@require_POST
@agent_required
def create_request(request, pk):
    from guichet.citizen_records.services import fill_url

    mail = _mail_or_404(request, pk)
    form = CreateRequestForm(request.POST, organisation=request.organisation,
                             needs_address=services.needs_postal_record(mail))

    def created(draft):
        messages.success(request, _(
            "La demande %(code)s est créée à partir du message %(number)s : complétez-la puis envoyez-la."
        ) % {"code": draft.tracking_code, "number": mail.registry_number})
        return redirect(fill_url(draft))

    return _act(request, mail, "create", form, lambda data: services.create_request_from_mail(
        mail, agent=request.user, version=data["version"], lock_version=data["lock_version"],
        postal_address=form.postal_address()), created)


@require_POST
@agent_required
def attach(request, pk):
    mail = _mail_or_404(request, pk)
    return _act(request, mail, "attach", AttachForm(request.POST), lambda data: services.attach_to_request(
        mail, agent=request.user, code=data["code"], lock_version=data["lock_version"]),
        lambda target: _done(request, mail, _("Le message est ajouté à la demande %(code)s.")
                             % {"code": target.tracking_code}))


@require_POST
@agent_required
def answer(request, pk):
    mail = _mail_or_404(request, pk)
    form = AnswerForm(request.POST, needs_address=services.needs_postal_record(mail))
    return _act(request, mail, "answer", form, lambda data: services.answer_mail(
        mail, agent=request.user, text=data["text"], lock_version=data["lock_version"],
        postal_address=form.postal_address()),
        lambda _result: _done(request, mail, _("La réponse est envoyée à l'expéditeur.")))


@require_POST
@agent_required
def file(request, pk):
    mail = _mail_or_404(request, pk)
    return _act(request, mail, "file", FileForm(request.POST), lambda data: services.file_mail(
        mail, agent=request.user, note=data["note"], lock_version=data["lock_version"]),
        lambda _result: _done(request, mail, _("Le message est classé pour information.")))


@require_POST
@agent_required
def assign(request, pk):
    mail = _mail_or_404(request, pk)
    return _act(request, mail, "assign", AssignForm(request.POST, organisation=request.organisation),
                lambda data: services.assign_mail(mail, agent=request.user, service=data["service"],
                                                  assigned_to=data["assigned_to"], lock_version=data["lock_version"]),
                lambda _result: _done(request, mail, _("L'attribution du message est enregistrée.")))


@require_POST
@agent_required
def identify(request, pk):
    """« C'est cet usager » : link the message to an existing citizen record."""
    from guichet.citizen_records.services import citizens

    mail = _mail_or_404(request, pk)
    citizen = citizens(request.organisation).filter(pk=_int(request.POST.get("citizen"))).first()
    try:
        services.identify_sender(mail, agent=request.user, citizen=citizen,
                                 lock_version=request.POST.get("lock_version"))
    except services.HandlingRefused as refusal:
        return _render_detail(request, _mail_or_404(request, mail.pk), status=409, refusal=refusal.message,
                              identify_error=refusal.message)
    return _done(request, mail, _("Le message est rattaché à la fiche de l'usager."))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_GET
@agent_required
def attachment_download(request, pk):
    """A file of a message (e-mail attachment or scan), to the agents who may see the message; 404 otherwise and
    for a refused file (its content was never kept)."""
    item = get_object_or_404(
        MailAttachment.objects.of(request.organisation).filter(mail__in=_mails(request)).exclude(file=""), pk=pk,
    )
    return attachment_response(item)


def raw_allowed(user, mail):
    """Whether `user` may download the message as received: its `.eml` still holds the files refused as dangerous
    (or too big), so a message with a refused file is given to the collectivité's administrators only."""
    return is_org_admin(user) or not mail.attachments.exclude(refused_reason="").exists()


@require_GET
@agent_required
def raw_download(request, pk):
    """The message as received (`.eml`), to the agents who may see it (`raw_allowed`; 404 otherwise)."""
    mail = get_object_or_404(_mails(request).exclude(raw=""), pk=pk)
    if not raw_allowed(request.user, mail):
        raise Http404(_("Ce message contient des pièces refusées : seul un administrateur peut télécharger "
                        "l'original."))
    if mail.channel == IncomingMail.Channel.EMAIL:
        name, content_type = f"{mail.registry_number}.eml", "message/rfc822"
    else:
        name, content_type = f"{mail.registry_number}{PurePosixPath(mail.raw.name).suffix}", "application/octet-stream"
    return attachment_response(SimpleNamespace(file=mail.raw, original_name=name, content_type=content_type))


def detail_url(mail):
    return reverse("mailroom:detail", args=[mail.pk])
