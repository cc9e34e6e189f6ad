"""The agents' queues: which requests an agent sees and the filters of the queue page.

`queue_requests(user, organisation, params)` is the one entry point used by the queue page, its saved views
and its exports: it returns the bound filter form and the filtered, ordered queryset.
"""

from guichet.service_requests.agent_services import requests_for_agent


def queue_requests(user, organisation, params):
    """(filter form, queryset) of the requests `user` may see in `organisation`, filtered by `params` (a
    QueryDict or dict of the queue page's GET parameters). Invalid filters give an empty queryset."""
    from .forms import QueueFilterForm

    form = QueueFilterForm(params or None, user=user, organisation=organisation)
    requests = requests_for_agent(user, organisation)
    if form.is_bound and not form.is_valid():
        return form, requests.none()
    return form, form.apply(requests) if form.is_bound else requests
