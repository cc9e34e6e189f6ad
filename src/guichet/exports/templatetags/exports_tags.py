"""`{% export_buttons source params %}`: the « Exporter » buttons of a queue or search result page.

`source` is "queue" or "search", `params` the page's `request.GET`; the form POSTs them to the create view,
which re-runs the same query with the requesting agent's permissions in a background job.
"""

from django import template

from guichet.exports.formats import FORMATS

register = template.Library()

# Parameters that only concern the displayed page, not the selection of requests.
IGNORED_PARAMS = ("page",)


def querystring_of(params):
    """The selection's querystring (without the page number) of a QueryDict, a dict or a querystring."""
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    if isinstance(params, str):
        params = QueryDict(params.lstrip("?"))
    if params:
        if hasattr(params, "lists"):
            items = params.lists()
        else:
            items = ((key, value if isinstance(value, (list, tuple)) else [value]) for key, value in params.items())
        for key, values in items:
            if key not in IGNORED_PARAMS:
                query.setlist(key, [str(value) for value in values])
    return query.urlencode()


@register.inclusion_tag("exports/export_buttons.html", takes_context=True)
def export_buttons(context, source, params=None):
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "source": source,
        "params": querystring_of(params),
        "formats": FORMATS,
    }
