"""The agents' queue (`/agents/demandes/`), its bulk actions and saved views, and the assignment and priority
forms of a request's page. Every change is a POST; requests the agent may not see answer 404 (or are left out
of a bulk action)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from guichet.agents.permissions import agent_required
from guichet.service_requests.agent_views import _request_for_agent
from guichet.workflows.engine import WorkflowError

from . import services
from .forms import DEFAULT_SORT, SORTS, AssignForm, BulkForm, PriorityForm, SavedViewForm
from .models import SavedView
from .rows import queue_rows

MAX_SAVED_VIEWS = 50
NOT_ALLOWED = gettext_lazy("Vous ne pouvez pas agir sur cette demande : elle n'est pas d'un de vos services.")


def _queue_url(querystring=""):
    url = reverse("agent_requests:list")
    return f"{url}?{querystring}" if querystring else url


def _render_queue(request, params, *, bulk_form=None, saved_form=None, status=200):
    user, organisation = request.user, request.organisation
    form, requests = services.queue_requests(user, organisation, params)
    page = services.queue_page(requests, params.get("page"))
    querystring = form.querystring() if form.is_valid() else ""
    sort = form.cleaned_data.get("sort") if form.is_valid() else ""
    context = {
        "form": form,
        "page": page,
        "query": params,
        "querystring": querystring,
        "sort_label": SORTS[sort or DEFAULT_SORT][0],
        "saved_views": list(SavedView.objects.of(organisation).filter(owner=user)),
        "bulk_form": bulk_form or BulkForm(
            user=user, colleagues=form.colleagues, workflows=form.workflows,
            initial={"next": f"{querystring}&page={page.number}" if querystring else f"page={page.number}"},
        ),
        "saved_form": saved_form or SavedViewForm(user=user, initial={"params": querystring}),
        "due_soon_days": services.DUE_SOON_DAYS,
        "rows": queue_rows(page.object_list, ticked=bulk_form.ticked() if bulk_form is not None else ()),
        # Words printed on many rows, translated once.
        "waiting_label": _("En attente de l'usager"), "closed_label": _("Demande close"),
        "withdrawn_label": _("Demande retirée"), "priority_word": _("Priorité"),
        "no_deadline_label": _("Sans date limite"),
    }
    return render(request, "queues/queue.html", context, status=status)


@require_GET
@agent_required
def queue(request):
    return _render_queue(request, request.GET)


def _clean_next(user, organisation, value):
    """The queue's filters and page from a posted `next` (kept to known filters: never an arbitrary URL)."""
    params = QueryDict(value or "")
    form, _requests = services.queue_requests(user, organisation, params)
    querystring = form.querystring() if form.is_valid() else ""
    page = services._page_number(params.get("page"))
    return form, params, "&".join(part for part in (querystring, f"page={page}" if page > 1 else "") if part)


@require_POST
@agent_required
def bulk(request):
    user, organisation = request.user, request.organisation
    filters, params, back = _clean_next(user, organisation, request.POST.get("next"))
    form = BulkForm(request.POST, user=user, colleagues=filters.colleagues, workflows=filters.workflows)
    if not form.is_valid():
        return _render_queue(request, params, bulk_form=form, status=400)
    data = form.cleaned_data
    ids = data["requests"]
    try:
        if data["action"] == BulkForm.ASSIGN_ME:
            outcome = services.bulk_assign(user, organisation, ids, user)
        elif data["action"] == BulkForm.UNASSIGN:
            outcome = services.bulk_assign(user, organisation, ids, None)
        elif data["action"] == BulkForm.ASSIGN:
            assignee = next(agent for agent in filters.colleagues if str(agent.pk) == data["assignee"])
            outcome = services.bulk_assign(user, organisation, ids, assignee)
        elif data["action"] == BulkForm.PRESS:
            outcome = services.bulk_press(user, organisation, ids, data["button"])
        else:
            outcome = services.bulk_message(user, organisation, ids, data["message"])
    except services.QueueActionRefused as error:
        form.add_error(None, error.message)
        return _render_queue(request, params, bulk_form=form, status=400)
    if outcome.done and not (outcome.skipped or outcome.ignored):
        messages.success(request, outcome.summary())
    else:
        messages.warning(request, outcome.summary())
    return redirect(_queue_url(back))


# --- saved views ----------------------------------------------------------------------------------------------


def _saved_view(request, pk):
    return get_object_or_404(SavedView.objects.of(request.organisation).filter(owner=request.user), pk=pk)


@require_POST
@agent_required
def saved_view_create(request):
    user, organisation = request.user, request.organisation
    filters, params, _back = _clean_next(user, organisation, request.POST.get("params"))
    form = SavedViewForm(request.POST, user=user)
    if form.is_valid():
        if not filters.is_valid():
            form.add_error(None, _("Les filtres sont incorrects : corrigez-les avant d'enregistrer la vue."))
        elif SavedView.objects.of(organisation).filter(owner=user).count() >= MAX_SAVED_VIEWS:
            form.add_error(None, _("Vous avez déjà %(max)s vues enregistrées : supprimez-en une d'abord.") % {
                "max": MAX_SAVED_VIEWS})
        else:
            try:
                with transaction.atomic():
                    view = SavedView.objects.create(organisation=organisation, owner=user,
                                                    name=form.cleaned_data["name"], params=filters.querystring())
            except IntegrityError:
                form.add_error("name", _("Vous avez déjà une vue de ce nom."))
            else:
                messages.success(request, _("La vue « %(name)s » est enregistrée.") % {"name": view.name})
                return redirect(_queue_url(view.params))
    return _render_queue(request, params, saved_form=form, status=400)


@require_GET
@agent_required
def saved_view(request, pk):
    return redirect(_queue_url(_saved_view(request, pk).params))


@require_POST
@agent_required
def saved_view_delete(request, pk):
    view = _saved_view(request, pk)
    view.delete()
    messages.success(request, _("La vue « %(name)s » est supprimée.") % {"name": view.name})
    return redirect(_queue_url())


# --- a request's assignment and priority ----------------------------------------------------------------------


def _act(request, service_request, action, success):
    try:
        action()
    except PermissionDenied:
        messages.error(request, NOT_ALLOWED)
    except (WorkflowError, services.QueueActionRefused) as error:  # RequestChanged: a stale page
        messages.error(request, error.message)
    else:
        messages.success(request, success())
    return redirect("agent_requests:detail", code=service_request.tracking_code)


def _first_error(form):
    for errors in form.errors.values():
        return errors[0]
    return ""


@require_POST
@agent_required
def assign(request, code):
    service_request = _request_for_agent(request, code)
    form = AssignForm(request.POST, service_request=service_request, user=request.user, prefix="attribution")
    if not form.is_valid():
        messages.error(request, _("L'attribution n'a pas été faite : %(error)s") % {"error": _first_error(form)})
        return redirect("agent_requests:detail", code=service_request.tracking_code)
    assignee = form.assignee_user(request.user)

    def success():
        if assignee is None:
            return _("La demande n'est plus attribuée à personne.")
        return _("La demande est attribuée à %(name)s.") % {"name": assignee.get_full_name() or assignee.email}

    return _act(request, service_request, lambda: services.assign(
        service_request, request.user, assignee, lock_version=form.cleaned_data["lock_version"]), success)


@require_POST
@agent_required
def priority(request, code):
    service_request = _request_for_agent(request, code)
    form = PriorityForm(request.POST, service_request=service_request, prefix="priorite")
    if not form.is_valid():
        messages.error(request, _("La priorité n'a pas changé : %(error)s") % {"error": _first_error(form)})
        return redirect("agent_requests:detail", code=service_request.tracking_code)
    return _act(request, service_request, lambda: services.change_priority(
        service_request, request.user, form.cleaned_data["priority"], lock_version=form.cleaned_data["lock_version"],
    ), lambda: _("La priorité est maintenant « %(label)s ».") % {"label": service_request.get_priority_display()})
