"""Template tags of the queues, for every page that shows requests:

    {% load queues_tags %}
    {% deadline_badge service_request %}   the deadline state as a badge: text and colour, never colour alone
    {% priority_badge service_request %}   the priority as a badge
    {{ service_request|deadline_state }}   "overdue" | "due_soon" | "on_time" | ""
    {% queue_panel service_request %}      the agent request page's panel: priority and assignment forms
"""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import services

register = template.Library()

DEADLINE_LABELS = {
    services.OVERDUE: _("En retard"),
    services.DUE_SOON: _("Bientôt due"),
    services.ON_TIME: _("Dans les temps"),
}


@register.filter(name="deadline_state")
def deadline_state_filter(service_request):
    return services.deadline_state(service_request)


# Simple tags rather than inclusion tags: they are drawn on each of the queue's 50 rows.
@register.simple_tag
def deadline_badge(service_request, today=None):
    state = services.deadline_state(service_request, today)
    if not state:
        return ""
    return format_html('<span class="badge deadline deadline-{}">{}</span>', state, DEADLINE_LABELS[state])


@register.simple_tag
def priority_badge(service_request):
    return format_html(
        '<span class="badge priority priority-{}"><span class="visually-hidden">{} : </span>{}</span>',
        service_request.priority, _("Priorité"), service_request.get_priority_display(),
    )


@register.inclusion_tag("queues/panel.html", takes_context=True)
def queue_panel(context, service_request):
    """Priority and assignment of the request, with their forms when the agent may act on it."""
    from ..forms import AssignForm, PriorityForm

    request = context.get("request")
    user = getattr(request, "user", None)
    may_act = bool(user and services.may_act_on(service_request, user)) and services.is_open(service_request) \
        and service_request.anonymised_at is None
    return {
        "service_request": service_request,
        "may_act": may_act,
        "assign_form": AssignForm(service_request=service_request, user=user, prefix="attribution") if may_act else None,
        "priority_form": PriorityForm(service_request=service_request, prefix="priorite") if may_act else None,
        "is_assigned_to_me": bool(user and service_request.assigned_to_id == user.pk),
        "csrf_token": context.get("csrf_token"),
    }
