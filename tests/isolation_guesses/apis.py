"""Montclair's objects of the public APIs (issue 7), and the GUESSES entries that try to reach them from Saint-Aubin.

`apis_objects(organisation, o)` adds to the `other` fixture's dict `o` (it needs its citizen, service and public
sheet): Montclair's API client with every scope (and its clear secret), a procedure exposed in Open311 and a
request of it filed through Open311 (with its token), a webhook subscription and a finished (failed) delivery of
it, a connector. `apis_guesses()` gives, for every URL of these apps that takes an identifier, who tries it and how
its identifiers are made from `o`; `apis_post_data(o)` valid values for the administrators' forms;
`apis_snapshot(o)` everything of these apps an attack could change.

The REST API and Open311 are not reached with a session but with credentials: their actors are "api" (Saint-Aubin's
administrator's session *and* the bearer of Saint-Aubin's own client holding every scope) and "open311" (the same
secret as Open311's `api_key`). `apis_calls(actor, http, url, o, secret)` makes the GET and the POST of such a
guess: JSON bodies for the REST API (a message, a button with the request's current lock_version), form-encoded
ones for Open311 carrying Montclair's identifiers (its service code, its request's number). Open311's listings
take no identifier in their path: their GET names Montclair by `jurisdiction_id`, the way an Open311 client names
a collectivité (that the parameters filtering a listing never reach Montclair's requests is
tests/api_clients/test_isolation_api.py's business).
"""

import socket
from urllib.parse import urlencode

from django.urls import resolve

API_ACTORS = {"api", "open311"}


def _closed_port_url():
    """An address on which nothing listens: a connector test on it is refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/montclair"


def apis_objects(organisation, o):
    from guichet.api.submission import submit_answers
    from guichet.api_clients import services as clients
    from guichet.api_clients.models import Scope
    from guichet.open311.models import Open311Request
    from guichet.service_requests.models import ServiceRequest
    from guichet.webhooks import services as webhooks
    from guichet.webhooks.models import Delivery, Event
    from tests.connectors.conftest import make_connector
    from tests.open311.conftest import FORM as OPEN311_FORM
    from tests.service_requests.conftest import WORKFLOW, make_procedure

    api_client, api_secret = clients.create_client(organisation, name="FixMyStreet Montclair",
                                                   scopes=list(Scope.values), rate_limit=10_000)
    exposed = make_procedure(organisation, o["service"], slug="nid-de-poule-montclair", who="anyone",
                             title="Signaler un nid-de-poule à Montclair", form=OPEN311_FORM, workflow=WORKFLOW)
    exposed.open311 = True
    exposed.save()
    reported = submit_answers(exposed.current_version, {"nature": "nid", "nom": "Victime"},
                              channel=ServiceRequest.Channel.API, citizen=o["citizen"], api_client=api_client)
    open311 = Open311Request.objects.create(organisation=organisation, request=reported, api_client=api_client,
                                            description="Un trou rue de Montclair.")
    subscription, _secret = webhooks.create_subscription(organisation, name="Logiciel de Montclair",
                                                         url="https://hooks.montclair.example.org/guichet",
                                                         events=[event.value for event in Event])
    delivery = webhooks.send_ping(subscription)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, attempts=1,
                                                   last_error="Connexion refusée")
    connector = make_connector(organisation, _closed_port_url(), slug="etat-civil-montclair",
                               name="État civil de Montclair", max_attempts=1, timeout_seconds=2)
    return {"api_client": api_client, "api_secret": api_secret, "exposed": exposed, "reported": reported,
            "open311_token": open311.token, "subscription": subscription, "webhook_delivery": delivery,
            "connector": connector}


def _pk(key):
    return lambda o: {"pk": o[key].pk}


def _code(o):
    return {"tracking_code": o["reported"].tracking_code}


def apis_guesses():
    def open311(fmt, **make):
        return lambda o: {"fmt": fmt, **{name: value(o) for name, value in make.items()}}

    return {
        # Administrators' pages: Montclair's API client, webhook subscription and delivery, connector.
        **{f"api_clients:{name}": ("admin", _pk("api_client")) for name in ("edit", "revoke", "renew")},
        **{f"webhooks:{name}": ("admin", _pk("subscription")) for name in (
            "edit", "activation", "renew", "delete", "ping")},
        "webhooks:delivery": ("admin", _pk("webhook_delivery")),
        "webhooks:replay": ("admin", _pk("webhook_delivery")),
        **{f"connectors:{name}": ("admin", _pk("connector")) for name in ("edit", "test", "toggle")},
        # REST API, with Saint-Aubin's client holding every scope: Montclair's request (filed through Open311),
        # its button, its exposed procedure, its public sheet.
        **{f"api:{name}": ("api", _code) for name in (
            "read_request", "read_timeline", "post_message", "list_actions")},
        "api:press_action": ("api", lambda o: {**_code(o), "button_id": "instruire"}),
        "api:read_procedure": ("api", lambda o: {"slug": o["exposed"].slug}),
        "api:list_procedure_statuses": ("api", lambda o: {"slug": o["exposed"].slug}),
        "api:read_sheet": ("api", lambda o: {"sheet_id": o["sheet"].pk}),
        # Open311, with Saint-Aubin's api_key: Montclair's service code, request number, token; the listings.
        "open311:service": ("open311", open311("json", service_code=lambda o: o["exposed"].slug)),
        "open311:request": ("open311", open311("json", service_request_id=lambda o: o["reported"].tracking_code)),
        "open311:token": ("open311", open311("xml", token_id=lambda o: o["open311_token"])),
        "open311:discovery": ("open311", open311("json")),
        "open311:services": ("open311", open311("xml")),
        "open311:requests": ("open311", open311("json")),
        "open311:updates": ("open311", open311("xml")),
    }


def apis_post_data(o):
    """Valid values for the administrators' forms of these apps, with Montclair's identifiers where one is asked
    (were a view to find Montclair's object, the attack would go through and the snapshot would show it)."""
    from guichet.api_clients.models import Scope
    from guichet.webhooks.models import Event

    return {
        "description": "Pirate", "scopes": list(Scope.values), "services": [o["service"].pk], "rate_limit": 60,
        "url": "https://pirate.example.org/evenements", "events": [event.value for event in Event], "scope": "some",
        "procedures": [o["exposed"].pk], "is_active": "on", "active": "0",
        "base_url": "http://127.0.0.1:9/pirate", "auth_kind": "none", "timeout_seconds": 1, "max_attempts": 1,
        "header_lines": "", "path": "",
    }


def apis_calls(actor, http, url, o, secret):
    """(GET, POST) of a guess of the REST API ("api": bearer `secret`) or of Open311 ("open311": `secret` as
    api_key), with Montclair's identifiers in the bodies."""
    from guichet.service_requests.models import ServiceRequest

    if actor == "api":
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        lock_version = ServiceRequest.objects.get(pk=o["reported"].pk).lock_version
        body = {"text": "Pirate : votre demande est refusée.", "lock_version": lock_version, "inputs": {}}
        return http.get(url, **headers), http.post(url, body, content_type="application/json", **headers)
    assert actor == "open311", actor
    query = {"api_key": secret}
    if set(resolve(url).kwargs) == {"fmt"}:  # a listing: Montclair named as the jurisdiction
        query.update(jurisdiction_id=o["organisation"].slug, service_request_id=o["reported"].tracking_code)
    body = {"api_key": secret, "service_code": o["exposed"].slug, "attribute[nature]": "nid", "last_name": "Pirate",
            "lat": "48.69", "long": "6.18", "email": "pirate@example.org", "description": "Pirate",
            "service_request_id": o["reported"].tracking_code, "status": "OPEN", "update_id": "666",
            "updated_datetime": "2026-12-01T10:00:00+01:00"}
    return http.get(f"{url}?{urlencode(query)}"), http.post(url, body)


def apis_snapshot(o):
    """Everything of these apps an attack could change. The bookkeeping of the calls (a client's last_used_at,
    its rate windows) is left out: the attacker's calls do count against Saint-Aubin's own client."""
    from guichet.api_clients.models import ApiClient
    from guichet.connectors.models import Connector
    from guichet.open311.models import Open311Request
    from guichet.service_requests.models import RequestEvent, ServiceRequest
    from guichet.webhooks.models import Delivery, DeliveryAttempt, Subscription

    montclair = o["organisation"]
    return {
        "api_clients": list(ApiClient.objects.filter(organisation=montclair).order_by("pk").values(
            "pk", "name", "description", "scopes", "secret_hash", "rate_limit", "revoked_at")),
        "api_client_services": list(ApiClient.services.through.objects.order_by("pk").values()),
        "request_states": list(ServiceRequest.objects.order_by("pk").values(
            "pk", "status", "lock_version", "closed_at", "withdrawn_at")),
        "events": list(RequestEvent.objects.order_by("pk").values("pk", "request_id", "kind", "text")),
        "open311_requests": list(Open311Request.objects.order_by("pk").values()),
        "subscriptions": list(Subscription.objects.order_by("pk").values()),
        "subscription_procedures": list(Subscription.procedures.through.objects.order_by("pk").values()),
        "webhook_deliveries": list(Delivery.objects.order_by("pk").values(
            "pk", "subscription_id", "status", "generation", "attempts", "manual", "next_attempt_at")),
        "webhook_attempts": list(DeliveryAttempt.objects.order_by("pk").values("pk")),
        "connectors": list(Connector.objects.order_by("pk").values()),
    }
