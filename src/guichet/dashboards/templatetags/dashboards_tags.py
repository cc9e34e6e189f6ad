"""`{% dashboards_link %}`: the link to the dashboards, for those who may see them (navigation, agents' home)."""

from django import template

from guichet.dashboards.services import may_see_dashboards

register = template.Library()
CACHE_ATTRIBUTE = "_guichet_may_see_dashboards"


@register.inclusion_tag("dashboards/link.html", takes_context=True)
def dashboards_link(context, place="nav"):
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None:
        return {"show": False}
    if not hasattr(request, CACHE_ATTRIBUTE):
        setattr(request, CACHE_ATTRIBUTE, may_see_dashboards(user))
    return {"show": getattr(request, CACHE_ATTRIBUTE), "place": place}
