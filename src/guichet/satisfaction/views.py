"""Pages of ratings and reopening: the citizen's (rate, ask to reopen) and the service's decision.

The forms are shown on the request pages (template tags of `satisfaction_tags`); these views take their POST
and, when something is wrong, show the form again on a page of its own with the errors tied to the fields and
what was typed kept.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guichet.agents.permissions import agent_required
from guichet.service_requests.agent_views import _request_for_agent
from guichet.service_requests.codes import normalise_tracking_code
from guichet.service_requests.models import ServiceRequest
from guichet.service_requests.services import may_access
from guichet.workflows.engine import WorkflowError

from . import services
from .forms import AcceptReopenForm, RatingForm, RefuseReopenForm, ReopenForm
from .models import ReopenRequest

RATING_PREFIX = "avis"
REOPEN_PREFIX = "reouverture"


# ---------------------------------------------------------------------------------------------------------------
# The citizen's side


def _load_for_citizen(http_request, code):
    """The submitted request the visitor may follow (its citizen, or the session of its anonymous submitter);
    404 otherwise. Agents (who may see a request they entered at the counter) may not speak for the citizen."""
    canonical = normalise_tracking_code(code)
    if canonical is None:
        raise Http404(_("Demande introuvable."))
    queryset = ServiceRequest.objects.of(http_request.organisation).select_related(
        "version", "procedure", "service", "citizen", "organisation"
    )
    service_request = get_object_or_404(queryset, tracking_code=canonical, state=ServiceRequest.State.SUBMITTED)
    if not may_access(http_request, service_request):
        raise Http404(_("Demande introuvable."))
    if http_request.user.is_authenticated and not http_request.user.is_citizen:
        raise PermissionDenied
    return service_request


def _author(http_request, service_request):
    return http_request.user if service_request.citizen_id else None


def _detail_url(service_request, anchor):
    return reverse("service_requests:detail", args=[service_request.tracking_code]) + anchor


def _apply_refusal(http_request, form, refusal, service_request, anchor):
    """A SatisfactionRefused: already done (double POST) → back to the request; else the error on its field."""
    if refusal.done:
        messages.info(http_request, refusal.message)
        return redirect(_detail_url(service_request, anchor))
    form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
    return None


@require_http_methods(["GET", "POST"])
def rate(http_request, code):
    """`/demandes/<code>/avis/`: the citizen rates the answer of their closed request."""
    service_request = _load_for_citizen(http_request, code)
    state = services.citizen_satisfaction(service_request, http_request.organisation)
    form = RatingForm(http_request.POST or None, prefix=RATING_PREFIX)
    if http_request.method == "POST" and form.is_valid():
        try:
            services.rate(service_request, _author(http_request, service_request), form.cleaned_data["score"],
                          form.cleaned_data["comment"])
        except services.SatisfactionRefused as refusal:
            done = _apply_refusal(http_request, form, refusal, service_request, "#avis")
            if done:
                return done
        else:
            messages.success(http_request, _("Merci : votre avis est transmis au service."))
            return redirect(_detail_url(service_request, "#avis"))
    elif http_request.method == "GET" and not state.may_rate:
        messages.info(http_request, _("Vous avez déjà donné votre avis sur cette réponse : merci.") if state.rating
                      else _("Vous pourrez donner votre avis une fois la demande traitée."))
        return redirect(_detail_url(service_request, "#avis"))
    return render(http_request, "satisfaction/rate.html", {"service_request": service_request, "form": form},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def reopen(http_request, code):
    """`/demandes/<code>/reouverture/`: the citizen asks the service to reopen their closed request."""
    service_request = _load_for_citizen(http_request, code)
    state = services.citizen_satisfaction(service_request, http_request.organisation)
    form = ReopenForm(http_request.POST or None, prefix=REOPEN_PREFIX)
    if http_request.method == "POST" and form.is_valid():
        try:
            services.ask_reopen(service_request, _author(http_request, service_request), form.cleaned_data["reason"])
        except services.SatisfactionRefused as refusal:
            done = _apply_refusal(http_request, form, refusal, service_request, "#reouverture")
            if done:
                return done
        else:
            messages.success(http_request, _(
                "Votre demande de réouverture est transmise au service : vous serez prévenu de sa décision."
            ))
            return redirect(_detail_url(service_request, "#reouverture"))
    elif http_request.method == "GET" and not state.may_reopen:
        messages.info(http_request, _("La réouverture de cette demande ne peut pas (ou plus) être demandée."))
        return redirect(_detail_url(service_request, "#reouverture"))
    return render(http_request, "satisfaction/reopen.html", {
        "service_request": service_request, "form": form, "state": state,
    }, status=400 if form.errors else 200)


# ---------------------------------------------------------------------------------------------------------------
# The service's decision


def _load_for_agent(http_request, code, pk):
    """(request the agent may see, its reopening request) or 404; 403 when the agent may not decide."""
    service_request = _request_for_agent(http_request, code)
    reopen_request = get_object_or_404(
        ReopenRequest.objects.of(http_request.organisation).filter(request=service_request), pk=pk
    )
    reopen_request.request = service_request
    if not services.may_decide(service_request, http_request.user):
        raise PermissionDenied
    return service_request, reopen_request


def decision_forms(service_request, reopen_request, data=None, which=None):
    """(accept form, refuse form) of a pending reopening request; `which` names the bound one."""
    prefix = f"reouverture-{reopen_request.pk}"
    targets = services.reopen_targets(service_request)
    accept = AcceptReopenForm(data if which == "accept" else None, targets=targets, prefix=f"{prefix}-accepter")
    refuse = RefuseReopenForm(data if which == "refuse" else None, prefix=f"{prefix}-refuser")
    return accept, refuse


def _render_decision(http_request, service_request, reopen_request, accept_form, refuse_form, status=200):
    return render(http_request, "satisfaction/decide.html", {
        "service_request": service_request, "reopen": reopen_request, "accept_form": accept_form,
        "refuse_form": refuse_form,
    }, status=status)


def _agent_detail(service_request):
    return reverse("agent_requests:detail", args=[service_request.tracking_code]) + "#satisfaction"


@require_http_methods(["GET"])
@agent_required
def decide(http_request, code, pk):
    """`/agents/demandes/<code>/reouvertures/<pk>/`: the reopening request and the two decisions."""
    service_request, reopen_request = _load_for_agent(http_request, code, pk)
    accept_form, refuse_form = decision_forms(service_request, reopen_request)
    return _render_decision(http_request, service_request, reopen_request, accept_form, refuse_form)


def _decide(http_request, code, pk, which):
    service_request, reopen_request = _load_for_agent(http_request, code, pk)
    accept_form, refuse_form = decision_forms(service_request, reopen_request, http_request.POST, which)
    form = accept_form if which == "accept" else refuse_form
    if form.is_valid():
        try:
            if which == "accept":
                services.accept_reopen(reopen_request, http_request.user, form.cleaned_data["status"],
                                       form.cleaned_data["note"])
            else:
                services.refuse_reopen(reopen_request, http_request.user, form.cleaned_data["reason"])
        except services.SatisfactionRefused as refusal:
            if refusal.done:
                messages.info(http_request, refusal.message)
                return redirect(_agent_detail(service_request))
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            messages.success(http_request, _(
                "La demande est rouverte ; l'usager est prévenu. Sa prochaine clôture demandera une nouvelle "
                "réponse écrite."
            ) if which == "accept" else _("La réouverture est refusée ; l'usager est prévenu."))
            return redirect(_agent_detail(service_request))
    return _render_decision(http_request, service_request, reopen_request, accept_form, refuse_form, status=400)


@require_POST
@agent_required
def accept(http_request, code, pk):
    return _decide(http_request, code, pk, "accept")


@require_POST
@agent_required
def refuse(http_request, code, pk):
    return _decide(http_request, code, pk, "refuse")
