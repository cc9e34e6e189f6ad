"""The citizens' pages of requests: start, fill in page by page, summary, send, receipt, follow, « Mes demandes »."""

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

import guichet.formdefs as formdefs
from guichet.accounts.views import citizen_required
from guichet.procedures.models import Procedure

from . import messaging, services, withdrawal
from .codes import normalise_tracking_code
from .forms import ComplementForm, ContactForm, FollowForm, MessageForm, MyRequestsFilterForm, WithdrawForm
from .models import RequestEvent, ServiceRequest
from .status import citizen_status, visible_timeline

# Anonymous follow-up: so many wrong (code, e-mail) pairs per session and per address in this window.
FOLLOW_MAX_FAILURES = 5
FOLLOW_WINDOW = datetime.timedelta(minutes=15)
COMPLEMENT_RULES = (("pdf", "jpeg", "png", "odt", "docx"), 10, 5)
MY_REQUESTS_PER_PAGE = 20


# ---------------------------------------------------------------------------------------------------------------
# Loading a request the visitor may see


def _load(http_request, code, *, receipt=False):
    """The request of this collectivité with this tracking code, if the visitor may see it (`receipt`: on the
    receipt pages, see `services.may_access`); 404 otherwise."""
    canonical = normalise_tracking_code(code)
    if canonical is None:
        raise Http404(_("Demande introuvable."))
    queryset = ServiceRequest.objects.of(http_request.organisation).select_related(
        "version", "procedure", "service", "citizen", "organisation"
    )
    service_request = get_object_or_404(queryset, tracking_code=canonical)
    if not services.may_access(http_request, service_request, receipt=receipt):
        raise Http404(_("Demande introuvable."))
    return service_request


def _load_draft(http_request, code):
    """(request, None) for a draft, or (None, redirect to its page) once it was sent."""
    service_request = _load(http_request, code)
    if not service_request.is_draft:
        return None, redirect("service_requests:detail", service_request.tracking_code)
    return service_request, None


def _step_url(service_request, step):
    if step == services.CONTACT_STEP:
        return reverse("service_requests:contact", args=[service_request.tracking_code])
    if step:
        return reverse("service_requests:page", args=[service_request.tracking_code, step])
    return reverse("service_requests:summary", args=[service_request.tracking_code])


def resume_url(service_request):
    """Where to take up a draft again."""
    step = service_request.current_page
    if step == services.CONTACT_STEP or step in services.visible_page_ids(service_request):
        return _step_url(service_request, step)
    return _step_url(service_request, services.first_step(service_request))


def _journey_context(service_request, step):
    position, total = services.step_number(service_request, step)
    previous = services.previous_step(service_request, step)
    return {
        "service_request": service_request,
        "version": service_request.version,
        "step_position": position,
        "step_total": total,
        "previous_url": _step_url(service_request, previous) if previous is not None else "",
    }


# ---------------------------------------------------------------------------------------------------------------
# Starting


@require_http_methods(["GET", "POST"])
def start(http_request, slug):
    """`/demarches/<slug>/commencer/`: explains who may submit, then (POST) creates the draft."""
    procedure = get_object_or_404(
        Procedure.objects.of(http_request.organisation).select_related("current_version", "current_version__service"),
        slug=slug, state=Procedure.State.PUBLISHED, current_version__isnull=False,
    )
    version = procedure.current_version
    try:
        services.check_may_start(version, http_request.user)
    except services.StartRefused as refusal:
        if refusal.login:
            return redirect_to_login(http_request.get_full_path(), reverse("accounts:login"))
        return render(http_request, "service_requests/start_refused.html",
                      {"procedure": procedure, "version": version, "message": refusal.message}, status=403)
    user = http_request.user
    drafts = []
    if user.is_authenticated and user.is_citizen:
        drafts = list(
            ServiceRequest.objects.of(http_request.organisation)
            .filter(citizen=user, procedure=procedure, state=ServiceRequest.State.DRAFT)
            .select_related("version").order_by("-updated_at")[:5]
        )
    if http_request.method == "POST":
        service_request = services.start_draft(version, http_request)
        return redirect(_step_url(service_request, service_request.current_page))
    return render(http_request, "service_requests/start.html", {
        "procedure": procedure, "version": version, "drafts": [(draft, resume_url(draft)) for draft in drafts],
        "anonymous": not user.is_authenticated, "counter": user.is_authenticated and user.is_agent,
    })


# ---------------------------------------------------------------------------------------------------------------
# Contact details (requests without an account)


@require_http_methods(["GET", "POST"])
def contact(http_request, code):
    service_request, done = _load_draft(http_request, code)
    if done:
        return done
    if not services.needs_contact(service_request):
        return redirect(_step_url(service_request, services.first_step(service_request)))
    initial = {"contact_name": service_request.contact_name, "contact_email": service_request.contact_email,
               "contact_phone": service_request.contact_phone}
    form = ContactForm(http_request.POST or None, initial=initial)
    if http_request.method == "POST" and form.is_valid():
        next_step = services.next_step(service_request, services.CONTACT_STEP)
        try:
            services.save_contact(service_request, name=form.cleaned_data["contact_name"],
                                  email=form.cleaned_data["contact_email"], phone=form.cleaned_data["contact_phone"])
        except services.AlreadySubmitted:
            return redirect("service_requests:detail", service_request.tracking_code)
        services.set_current_page(service_request, next_step or "")
        if http_request.POST.get("action") == "save":
            messages.success(http_request, _("Vos coordonnées sont enregistrées."))
            return redirect(_step_url(service_request, services.CONTACT_STEP))
        return redirect(_step_url(service_request, next_step))
    services.set_current_page(service_request, services.CONTACT_STEP)
    context = _journey_context(service_request, services.CONTACT_STEP)
    context["form"] = form
    return render(http_request, "service_requests/contact.html", context)


# ---------------------------------------------------------------------------------------------------------------
# A page of the form


def _files_offered(service_request, page):
    """{file field id: [(document id, label)]}: the citizen's checked documents a file field may reuse."""
    if service_request.citizen_id is None:
        return {}
    try:
        from guichet.documents.services import offer_choices
    except ImportError:
        return {}
    from guichet.formdefs.schema import page_fields

    offered = {}
    for field in page_fields(page):
        if field.get("type") == "file" and field.get("document_type"):
            choices = offer_choices(service_request.citizen, field["document_type"])
            if choices:
                offered[field["id"]] = choices
    return offered


def _page_attachments(service_request, page):
    """{file field id: [Attachment]} kept for the page's file fields (shown with a « Retirer » box)."""
    ids = services.page_files(service_request, page)
    wanted = {pk for values in ids.values() for pk in values}
    by_pk = {a.pk: a for a in service_request.attachments.filter(pk__in=wanted)} if wanted else {}
    return {field_id: [by_pk[pk] for pk in values if pk in by_pk] for field_id, values in ids.items()}


def _store_files(http_request, service_request, page, kept_ids, offered):
    """Store the files uploaded to the page's file fields and the documents chosen for reuse.

    → ({field id: [attachment ids]} after the removals, the uploads and the reuses, {field id: [French errors]}).
    """
    from guichet.formdefs.schema import page_fields

    from .files import store_uploads

    files, errors = {}, {}
    reused = formdefs.reused_documents(service_request.version.form, page["id"], http_request.POST, offered)
    for field in page_fields(page):
        if field.get("type") != "file":
            continue
        field_id = field["id"]
        removed = {value for value in http_request.POST.getlist(f"{field_id}__remove")}
        ids = [pk for pk in kept_ids.get(field_id, []) if str(pk) not in removed]
        uploads = [item for item in http_request.FILES.getlist(field_id) if item]
        rules = formdefs.file_field_rules(service_request.version.form, field_id)
        if uploads:
            new_ids, upload_errors = store_uploads(
                service_request, field_id, uploads, rules, uploaded_by=_uploader(http_request), already=len(ids),
            )
            if upload_errors:
                errors[field_id] = list(upload_errors)
            ids += new_ids
        for document_id in reused.get(field_id, []):
            if len(ids) >= rules.max_files:
                break
            from guichet.documents.models import CitizenDocument
            from guichet.documents.services import DocumentError, attach_existing

            document = CitizenDocument.objects.filter(organisation_id=service_request.organisation_id,
                                                      citizen_id=service_request.citizen_id, pk=document_id).first()
            if document is None:
                continue
            try:
                ids.append(attach_existing(service_request, field_id, document))
            except DocumentError as error:
                errors.setdefault(field_id, []).append(error.message if hasattr(error, "message") else str(error))
        files[field_id] = ids
    return files, errors


def _uploader(http_request):
    return http_request.user if http_request.user.is_authenticated else None


def _page_form(service_request, page_id, *, data=None, offered=None, members=(), context=None,
               attachment_ids=None):
    return formdefs.build_page_form(
        service_request.version.form, page_id, answers=service_request.data, prefill=None,
        files_offered=offered or {}, data=data, members=members, attachment_ids=attachment_ids, context=context,
    )


@require_http_methods(["GET", "POST"])
def page(http_request, code, page_id):
    """`/demandes/<code>/page/<page_id>/`: one page of the form; POST saves it (draft) and moves on."""
    service_request, done = _load_draft(http_request, code)
    if done:
        return done
    defn = service_request.version.form
    page_definition = formdefs.find_page(defn, page_id)
    if page_definition is None:
        raise Http404(_("Cette page n'existe pas dans le formulaire."))
    if services.needs_contact(service_request) and not services.has_contact(service_request):
        return redirect(_step_url(service_request, services.CONTACT_STEP))
    if page_id not in services.visible_page_ids(service_request):
        # Skipped by a condition on the answers given so far.
        return redirect(_step_url(service_request, services.next_step(service_request, page_id)))
    citizen_data, members = services.citizen_context(service_request.citizen)
    computed_context = formdefs_context(citizen_data)
    offered = _files_offered(service_request, page_definition)
    errors = False
    if http_request.method == "POST":
        action = http_request.POST.get("action", "next")
        kept = services.page_files(service_request, page_definition)
        with transaction.atomic():
            files, file_errors = _store_files(http_request, service_request, page_definition, kept, offered)
            form = _page_form(service_request, page_id, data=http_request.POST, offered=offered, members=members,
                              context=computed_context, attachment_ids=files)
            valid = form.is_valid()
            for field_id, field_messages in file_errors.items():
                for message in field_messages:
                    form.add_error(field_id if field_id in form.fields else None, message)
            if valid and not file_errors:
                if action == "previous":
                    target = services.previous_step(service_request, page_id)
                    target = target if target is not None else page_id
                elif action == "save":
                    target = page_id
                else:
                    target = None
                try:
                    services.save_page(service_request, page_id, form.page_answers)
                except services.AlreadySubmitted:
                    return redirect("service_requests:detail", service_request.tracking_code)
                if target is None:
                    target = services.next_step(service_request, page_id)
                services.set_current_page(service_request, target)
                return _after_save(http_request, service_request, action, target)
            # The page is not valid: its files are kept (nobody wants to choose them again), nothing else.
            try:
                services.save_files(service_request, files)
            except services.AlreadySubmitted:
                return redirect("service_requests:detail", service_request.tracking_code)
        errors = True
    else:
        services.set_current_page(service_request, page_id)
        form = _page_form(service_request, page_id, offered=offered, members=members, context=computed_context,
                          attachment_ids=services.page_files(service_request, page_definition))
    context = _journey_context(service_request, page_id)
    context.update({
        "page": page_definition, "form": form, "attachments": _page_attachments(service_request, page_definition),
        "errors": errors,
    })
    return render(http_request, "service_requests/page.html", context, status=400 if errors else 200)


def formdefs_context(citizen_data):
    from guichet.formdefs.computed import profile_context

    return profile_context(citizen_data)


def _agent_entry(http_request, service_request):
    """The agent who entered this request (at the counter, on the phone…) is the one filling it in."""
    user = http_request.user
    return bool(user.is_authenticated and user.is_agent and service_request.entered_by_id == user.pk)


def _citizen_record_url(service_request):
    """The agents' record of the request's citizen ("" without a citizen account)."""
    return reverse("citizen_records:record", args=[service_request.citizen_id]) if service_request.citizen_id else ""


def _after_save(http_request, service_request, action, target):
    if action == "save" and _agent_entry(http_request, service_request):
        if service_request.citizen_id:
            messages.success(http_request, _(
                "Le brouillon est enregistré. Vous le retrouvez sur la fiche de l'usager, qui peut aussi le finir "
                "en ligne depuis « Mes demandes »."))
            return redirect(_citizen_record_url(service_request))
        messages.success(http_request, _("Le brouillon est enregistré : notez son numéro de suivi %(code)s.") % {
            "code": service_request.tracking_code})
        return redirect(_step_url(service_request, target))
    if action == "save":
        messages.success(http_request, _(
            "Votre brouillon est enregistré. Vous pourrez reprendre votre demande plus tard "
            "depuis « Mes demandes »." if service_request.citizen_id else
            "Votre brouillon est enregistré. Gardez cette fenêtre ouverte ou notez l'adresse de cette page "
            "pour reprendre votre demande depuis ce navigateur."
        ))
        if service_request.citizen_id:
            return redirect("service_requests:mine")
        return redirect(_step_url(service_request, target))
    return redirect(_step_url(service_request, target))


# ---------------------------------------------------------------------------------------------------------------
# Summary and sending


def _summary(service_request):
    _data, members = services.citizen_context(service_request.citizen)
    attachments = {a.pk: a.original_name for a in service_request.attachments.all()}
    return formdefs.summary(service_request.version.form, service_request.data, members=members,
                            attachments=attachments)


@require_http_methods(["GET"])
def summary(http_request, code):
    service_request, done = _load_draft(http_request, code)
    if done:
        return done
    problem = services.first_incomplete_step(service_request)
    services.set_current_page(service_request, "")
    context = _journey_context(service_request, "")
    context.update({
        "sections": _summary(service_request), "problem": problem,
        "problem_url": _step_url(service_request, problem[0]) if problem else "",
        "page_links": [(page.get("title") or page["id"], _step_url(service_request, page["id"]))
                       for page in formdefs.visible_pages(service_request.version.form, service_request.data)],
        "contact_url": _step_url(service_request, services.CONTACT_STEP),
        "send_refusal": services.send_refusal(http_request.user, service_request),
    })
    return render(http_request, "service_requests/summary.html", context)


@require_POST
def send(http_request, code):
    """`/demandes/<code>/envoyer/` (POST): submits the draft exactly once, whatever the number of clicks."""
    service_request = _load(http_request, code, receipt=True)  # a second click goes to the receipt
    if not service_request.is_draft:
        return redirect("service_requests:receipt", service_request.tracking_code)
    refusal = services.send_refusal(http_request.user, service_request)
    if refusal is not None:
        messages.error(http_request, refusal)
        return redirect("service_requests:summary", service_request.tracking_code)
    try:
        service_request, sent = services.submit(service_request, actor=http_request.user)
    except services.Incomplete as incomplete:
        messages.error(http_request, incomplete.message)
        return redirect(_step_url(service_request, incomplete.step))
    return redirect("service_requests:receipt", service_request.tracking_code)


def receipt(http_request, code):
    """The receipt on screen, right after sending (and whenever the citizen wants it again)."""
    from .receipt import receipt_for

    service_request = _load(http_request, code, receipt=True)
    if service_request.is_draft:
        return redirect(resume_url(service_request))
    context = {"service_request": service_request, "receipt": receipt_for(service_request)}
    if _agent_entry(http_request, service_request):
        # The agent who entered it: back to the citizen's record, and the receipt to print for a citizen who can
        # be reached neither by e-mail nor by phone (it goes by letter, or nowhere, otherwise).
        from guichet.citizen_records.services import has_contact_address

        citizen = service_request.citizen
        context.update({
            "agent_entry": True, "citizen_record_url": _citizen_record_url(service_request),
            "print_receipt": (not has_contact_address(citizen)) if citizen is not None
            else not service_request.contact_email,
        })
    return render(http_request, "service_requests/receipt.html", context)


def receipt_pdf(http_request, code):
    """`/demandes/<code>/accuse-de-reception.pdf`."""
    from .receipt import receipt_pdf as render_pdf

    service_request = _load(http_request, code, receipt=True)
    if service_request.is_draft:
        raise Http404(_("Une demande qui n'est pas envoyée n'a pas d'accusé de réception."))
    response = HttpResponse(render_pdf(service_request), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="accuse-de-reception-{service_request.tracking_code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------------------------------
# Following a request


def detail(http_request, code):
    """`/demandes/<code>/`: the request as its author sees it (answers, files, visible timeline with the messages
    and their files, status), the form to write to the service and the link to withdraw it."""
    service_request = _load(http_request, code)
    if service_request.is_draft:
        return redirect(resume_url(service_request))
    user = http_request.user
    if user.is_authenticated and service_request.citizen_id == user.pk:
        messaging.record_citizen_view(service_request, user)
    events = list(service_request.events.filter(visible_to_citizen=True).select_related("actor").order_by("at", "pk"))
    attachments = list(service_request.attachments.all())
    requester = _is_requester(http_request)
    message_refusal = messaging.citizen_refusal(service_request)
    return render(http_request, "service_requests/detail.html", {
        "service_request": service_request, "sections": _summary(service_request),
        "attachments": attachments,
        "timeline": visible_timeline(service_request, events, {a.pk: a for a in attachments}),
        "status": citizen_status(service_request, events),
        "complement_form": ComplementForm() if service_request.waiting_for_citizen else None,
        "requester": requester,
        "message_form": MessageForm() if requester and message_refusal is None else None,
        "message_refusal": message_refusal,
        "may_withdraw": requester and withdrawal.may_withdraw(service_request),
        "withdrawal_event": next((e for e in reversed(events) if e.kind == RequestEvent.Kind.WITHDRAWN), None),
    })


def _is_requester(http_request):
    """On a request the visitor may see (`services.may_access`), whether they speak as its author: its citizen or
    the browser of its submitter without an account, not the agent who entered it at the counter."""
    user = http_request.user
    return not (user.is_authenticated and user.is_agent)


def _load_for_requester(http_request, code):
    """(submitted request the visitor speaks for, None) or (None, redirect) for a draft; 404 for anybody else."""
    service_request = _load(http_request, code)
    if service_request.is_draft:
        return None, redirect(resume_url(service_request))
    if not _is_requester(http_request):
        raise Http404(_("Demande introuvable."))
    return service_request, None


@require_http_methods(["GET", "POST"])
def message(http_request, code):
    """`/demandes/<code>/message/`: the citizen (or the submitter without an account) writes to the service, with
    files if they want."""
    service_request, done = _load_for_requester(http_request, code)
    if done:
        return done
    refusal = messaging.citizen_refusal(service_request)
    if refusal:
        messages.error(http_request, refusal)
        return redirect("service_requests:detail", service_request.tracking_code)
    form = MessageForm(http_request.POST or None, http_request.FILES or None)
    if http_request.method == "POST" and form.is_valid():
        citizen = service_request.citizen if service_request.citizen_id else None
        try:
            messaging.post_with_files(service_request, citizen, form.cleaned_data["message"],
                                      form.cleaned_data["files"], from_agent=False, token=form.cleaned_data["token"])
        except messaging.FilesRefused as refused:
            for error in refused.errors:
                form.add_error("files", error)
        except messaging.AlreadyPosted:
            messages.info(http_request, _("Votre message avait déjà été envoyé au service."))
            return redirect("service_requests:detail", service_request.tracking_code)
        except messaging.MessageRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(http_request, _("Votre message a été envoyé au service."))
            return redirect("service_requests:detail", service_request.tracking_code)
    return render(http_request, "service_requests/message.html",
                  {"service_request": service_request, "form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def withdraw(http_request, code):
    """`/demandes/<code>/retirer/`: confirmation page (optional reason), then POST withdraws the request."""
    service_request, done = _load_for_requester(http_request, code)
    if done:
        return done
    refusal = withdrawal.refusal(service_request)
    if refusal:
        (messages.info if service_request.is_withdrawn else messages.error)(http_request, refusal)
        return redirect("service_requests:detail", service_request.tracking_code)
    form = WithdrawForm(http_request.POST or None)
    if http_request.method == "POST" and form.is_valid():
        citizen = service_request.citizen if service_request.citizen_id else None
        try:
            withdrawal.withdraw(service_request, citizen, form.cleaned_data["reason"])
        except withdrawal.WithdrawalRefused as refused:
            (messages.info if refused.already else messages.error)(http_request, refused.message)
        else:
            messages.success(http_request, _("Votre demande est retirée. Le service en est informé."))
        return redirect("service_requests:detail", service_request.tracking_code)
    return render(http_request, "service_requests/withdraw.html",
                  {"service_request": service_request, "form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def complement(http_request, code):
    """`/demandes/<code>/complement/`: the citizen's answer to a request for more information."""
    from guichet.workflows.engine import WorkflowError, answer_information_request

    from .files import store_uploads

    service_request = _load(http_request, code)
    if service_request.is_draft:
        return redirect(resume_url(service_request))
    if not service_request.waiting_for_citizen:
        messages.info(http_request, _("Aucun complément n'est demandé pour cette demande."))
        return redirect("service_requests:detail", service_request.tracking_code)
    form = ComplementForm(http_request.POST or None, http_request.FILES or None)
    if http_request.method == "POST" and form.is_valid():
        citizen = service_request.citizen if service_request.citizen_id else None
        try:
            with transaction.atomic():
                ids, errors = store_uploads(service_request, "complement", form.cleaned_data["files"],
                                            COMPLEMENT_RULES, uploaded_by=citizen)
                if errors:
                    for error in errors:
                        form.add_error("files", error)
                    raise _Refused
                answer_information_request(service_request, citizen, form.cleaned_data["message"], ids)
        except _Refused:
            pass
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            messages.success(http_request, _("Votre réponse a été transmise au service."))
            return redirect("service_requests:detail", service_request.tracking_code)
    return render(http_request, "service_requests/complement.html",
                  {"service_request": service_request, "form": form}, status=400 if form.errors else 200)


class _Refused(Exception):
    pass


def _follow_cache_key(http_request):
    address = http_request.META.get("REMOTE_ADDR", "")
    return f"service_requests:follow:{http_request.organisation.pk}:{address}"


def _follow_failures(http_request):
    now = timezone.now().timestamp()
    window = FOLLOW_WINDOW.total_seconds()
    session_failures = [t for t in http_request.session.get("follow_failures", []) if now - t < window]
    address_failures = [t for t in cache.get(_follow_cache_key(http_request), []) if now - t < window]
    return session_failures, address_failures


@require_http_methods(["GET", "POST"])
def follow(http_request):
    """`/demandes/suivre/`: a submitter without an account finds their request with its code AND their e-mail."""
    form = FollowForm(http_request.POST or None)
    session_failures, address_failures = _follow_failures(http_request)
    blocked = max(len(session_failures), len(address_failures)) >= FOLLOW_MAX_FAILURES
    if http_request.method == "POST":
        if blocked:
            form.is_valid()
            form.add_error(None, _(
                "Trop d'essais infructueux : pour protéger les demandes, réessayez dans un quart d'heure ou "
                "contactez la mairie."
            ))
            return render(http_request, "service_requests/follow.html", {"form": form}, status=429)
        if form.is_valid():
            found = (
                ServiceRequest.objects.of(http_request.organisation)
                .filter(tracking_code=form.cleaned_data["code"], state=ServiceRequest.State.SUBMITTED,
                        citizen__isnull=True, anonymised_at__isnull=True,
                        contact_email__iexact=form.cleaned_data["email"])
                .first()
            )
            if found is not None:
                services.grant_session(http_request, found)
                http_request.session["follow_failures"] = []
                return redirect("service_requests:detail", found.tracking_code)
        now = timezone.now().timestamp()
        http_request.session["follow_failures"] = session_failures + [now]
        cache.set(_follow_cache_key(http_request), address_failures + [now], int(FOLLOW_WINDOW.total_seconds()))
        if form.is_valid():
            form.add_error(None, _(
                "Aucune demande ne correspond à ce numéro de suivi et à cette adresse électronique. Vérifiez-les "
                "sur votre accusé de réception. Si vous avez un compte, connectez-vous pour voir vos demandes."
            ))
        return render(http_request, "service_requests/follow.html", {"form": form}, status=400)
    return render(http_request, "service_requests/follow.html", {"form": form})


# ---------------------------------------------------------------------------------------------------------------
# « Mes demandes »


@dataclass(frozen=True)
class MyRequestRow:
    request: ServiceRequest
    status: object  # status.CitizenStatus or None (« Envoyée »)
    overdue: bool
    unread: bool
    last_update: object


def _concerning(name):
    """Requests whose `concerns` (« Léa Martin, Hugo Martin ») names exactly this household member."""
    return (Q(concerns=name) | Q(concerns__startswith=f"{name}, ") | Q(concerns__endswith=f", {name}")
            | Q(concerns__contains=f", {name}, "))


def my_requests(citizen, organisation, *, state="", member_name=""):
    """The submitted requests of the citizen, newest first, annotated for « Mes demandes » (messaging dates) and
    with their status changes prefetched: one query for the page (on the index citizen, state, submitted_at), one
    for the status events, whatever the number of rows."""
    requests = ServiceRequest.objects.of(organisation).filter(
        citizen=citizen, state=ServiceRequest.State.SUBMITTED, anonymised_at__isnull=True,
    )
    if state == "en-cours":
        requests = requests.filter(closed_at__isnull=True)
    elif state == "closes":
        requests = requests.filter(closed_at__isnull=False)
    if member_name:
        requests = requests.filter(_concerning(member_name))
    # The answers and the form (large JSON) are not shown here: not read, not decoded.
    requests = requests.select_related("version").defer("data", "version__form")
    requests = messaging.with_message_dates(requests).prefetch_related(Prefetch(
        "events", queryset=RequestEvent.objects.filter(kind=RequestEvent.Kind.STATUS_CHANGED).order_by("at", "pk"),
        to_attr="status_events",
    ))
    return requests.order_by("-submitted_at", "-pk")


def _my_row(item, today):
    open_ = item.closed_at is None
    return MyRequestRow(
        request=item, status=citizen_status(item, item.status_events),
        overdue=bool(open_ and item.deadline and item.deadline < today),
        unread=messaging.has_unread_message(item), last_update=item.last_visible_at or item.submitted_at,
    )


@citizen_required
def mine(http_request):
    """`/compte/demandes/`: drafts to resume or delete, then the submitted requests (filtered, paginated)."""
    from guichet.households.services import members_of

    citizen, organisation = http_request.user, http_request.organisation
    if citizen.organisation_id == organisation.pk:
        citizen.organisation = organisation  # already loaded by the host: members_of needs no query for it
    drafts = list(
        ServiceRequest.objects.of(organisation)
        .filter(citizen=citizen, state=ServiceRequest.State.DRAFT, anonymised_at__isnull=True)
        .select_related("version").order_by("-updated_at")
    )
    members = list(members_of(citizen).order_by("first_name", "last_name", "pk"))
    form = MyRequestsFilterForm(http_request.GET if {"etat", "pour"} & set(http_request.GET) else None,
                                members=members)
    if form.is_bound and form.is_valid():
        requests = my_requests(citizen, organisation, state=form.cleaned_data["etat"],
                               member_name=form.member_name())
    elif form.is_bound:
        requests = ServiceRequest.objects.none()
    else:
        requests = my_requests(citizen, organisation)
    page_obj = Paginator(requests, MY_REQUESTS_PER_PAGE).get_page(http_request.GET.get("page"))
    today = timezone.localdate()
    return render(http_request, "service_requests/mine.html", {
        "drafts": [(draft, resume_url(draft)) for draft in drafts], "page": page_obj, "form": form,
        "rows": [_my_row(item, today) for item in page_obj.object_list], "members": members,
        "filtered": form.is_bound,
    })


@require_http_methods(["GET", "POST"])
def delete(http_request, code):
    """Delete a draft (confirmation page, then POST)."""
    service_request, done = _load_draft(http_request, code)
    if done:
        return done
    if http_request.method == "POST":
        try:
            services.delete_draft(service_request)
        except services.AlreadySubmitted:
            return redirect("service_requests:detail", service_request.tracking_code)
        messages.success(http_request, _("Le brouillon « %(title)s » est supprimé.") % {
            "title": service_request.version.title})
        if http_request.user.is_authenticated and http_request.user.is_citizen:
            return redirect("service_requests:mine")
        if _agent_entry(http_request, service_request):
            return redirect(_citizen_record_url(service_request) or reverse("citizen_records:search"))
        return redirect("/")
    return render(http_request, "service_requests/delete.html", {"service_request": service_request,
                                                                   "resume_url": resume_url(service_request)})

