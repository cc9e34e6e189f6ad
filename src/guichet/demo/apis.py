"""Demo data of the public APIs (issue 7): in each commune, an API client whose secret is known, and the street
reports exposed in Open311. `load_demo(organisation)` is idempotent.

The demo secret of a commune is « gapi_demo-<slug> », e.g.

    curl http://saint-aubin.localhost:8000/api/v1/requests -H "Authorization: Bearer gapi_demo-saint-aubin"
    curl "http://saint-aubin.localhost:8000/open311/v2/services.json"
"""

from django.db import transaction

from guichet.api_clients.models import ApiClient, Scope
from guichet.organisations.secrets import hash_secret
from guichet.procedures.models import Procedure

OPEN311_PROCEDURES = ("signalement-voirie", "enlevement-graffitis")
CLIENT_NAME = "Application mobile de signalement (démonstration)"


def demo_secret(organisation):
    return f"gapi_demo-{organisation.slug}"


@transaction.atomic
def load_demo(organisation):
    """The demo API client (every scope) and the Open311 procedures of `organisation` → the clear demo secret."""
    clear = demo_secret(organisation)
    ApiClient.objects.update_or_create(
        secret_hash=hash_secret(clear),
        defaults={
            "organisation": organisation, "name": CLIENT_NAME, "scopes": sorted(Scope.values),
            "hint": clear[:9], "revoked_at": None,
            "description": "Client de démonstration : toutes les permissions, secret connu (README, make demo).",
        },
    )
    Procedure.objects.of(organisation).filter(slug__in=OPEN311_PROCEDURES).update(open311=True)
    return clear
