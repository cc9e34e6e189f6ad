"""`{% duplicates_panel service_request %}` on the agents' request page, `{% draft_duplicates service_request %}`
on the summary of a request an agent enters for a citizen: likely duplicates, merges and links (a constant
number of queries)."""

from django import template

from guichet.agents.permissions import is_verified_agent
from guichet.duplicates import services
from guichet.service_requests.agent_services import requests_for_agent
from guichet.service_requests.models import ServiceRequest

register = template.Library()


@register.inclusion_tag("duplicates/panel.html", takes_context=True)
def duplicates_panel(context, service_request):
    http_request = context["request"]
    user, organisation = http_request.user, http_request.organisation
    visible = requests_for_agent(user, organisation)
    merged_away = service_request.merged_into_id is not None
    active = service_request.is_submitted and service_request.anonymised_at is None
    may_act = active and services.may_act(service_request, user)
    duplicates = services.likely_duplicates(service_request, among=visible) if active and not merged_away else []
    links = services.links_of(service_request)
    merged = list(
        ServiceRequest.objects.of(organisation).filter(merged_into=service_request).select_related("version")
        .order_by("submitted_at", "pk")[:100]
    )
    main = (
        ServiceRequest.objects.of(organisation).filter(pk=service_request.merged_into_id).select_related("version")
        .first() if merged_away else None
    )
    others = {other.pk for _link, other in links} | {request.pk for request in merged} | ({main.pk} if main else set())
    visible_ids = set(visible.filter(pk__in=others).values_list("pk", flat=True)) if others else set()
    return {
        "service_request": service_request, "duplicates": duplicates, "links": links, "merged": merged,
        "main": main, "visible_ids": visible_ids, "linked_ids": {other.pk for _link, other in links},
        "may_act": may_act, "may_merge": may_act and not merged_away, "csrf_token": context.get("csrf_token"),
        "window_days": services.WINDOW.days,
    }


@register.inclusion_tag("duplicates/draft_duplicates.html", takes_context=True)
def draft_duplicates(context, service_request):
    """For the agent entering this draft (counter, phone, post): the requests it may repeat, before sending."""
    http_request = context["request"]
    user = http_request.user
    if not (is_verified_agent(user) and service_request.entered_by_id == user.pk and service_request.is_draft):
        return {"shown": False}
    duplicates = services.likely_duplicates(service_request, among=requests_for_agent(user, http_request.organisation))
    return {"shown": True, "duplicates": duplicates, "window_days": services.WINDOW.days}
