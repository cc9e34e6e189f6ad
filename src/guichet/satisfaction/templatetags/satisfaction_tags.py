"""Panels of the request pages: `{% citizen_satisfaction_panel service_request %}` on the citizen's page and
`{% agent_satisfaction_panel service_request %}` on the agents' page (a constant number of queries)."""

from django import template

from guichet.satisfaction import services
from guichet.satisfaction.forms import RatingForm, ReopenForm
from guichet.satisfaction.models import Rating, ReopenRequest
from guichet.satisfaction.views import RATING_PREFIX, REOPEN_PREFIX, decision_forms

register = template.Library()


@register.inclusion_tag("satisfaction/citizen_panel.html", takes_context=True)
def citizen_satisfaction_panel(context, service_request):
    http_request = context["request"]
    state = services.citizen_satisfaction(service_request, http_request.organisation)
    user = http_request.user
    return {
        "service_request": service_request, "state": state, "csrf_token": context.get("csrf_token"),
        # Agents who entered a request at the counter see it, but only its citizen speaks for them.
        "may_act": not (user.is_authenticated and not user.is_citizen),
        "rating_form": RatingForm(prefix=RATING_PREFIX), "reopen_form": ReopenForm(prefix=REOPEN_PREFIX),
    }


@register.inclusion_tag("satisfaction/agent_panel.html", takes_context=True)
def agent_satisfaction_panel(context, service_request):
    http_request = context["request"]
    organisation = http_request.organisation
    ratings = list(Rating.objects.of(organisation).filter(request=service_request).order_by("created_at", "pk"))
    reopen_requests = list(
        ReopenRequest.objects.of(organisation).filter(request=service_request).select_related("decided_by")
        .order_by("requested_at", "pk")
    )
    may_decide = any(item.is_pending for item in reopen_requests) and services.may_decide(
        service_request, http_request.user
    )
    reopens = []
    for reopen in reopen_requests:
        forms = decision_forms(service_request, reopen) if reopen.is_pending and may_decide else (None, None)
        reopens.append((reopen, *forms))
    return {
        "service_request": service_request, "ratings": ratings, "reopens": reopens,
        "closed": services.closing_of(service_request) is not None, "csrf_token": context.get("csrf_token"),
    }
