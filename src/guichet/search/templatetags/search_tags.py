"""`{% search_box "nav" %}`: the agents' search box (navigation band, agent home)."""

from django import template

register = template.Library()


@register.inclusion_tag("search/search_box.html", takes_context=True)
def search_box(context, place="nav"):
    request = context.get("request")
    value = request.GET.get("q", "") if request is not None and place == "nav" else ""
    return {"place": place, "value": value[:200]}
