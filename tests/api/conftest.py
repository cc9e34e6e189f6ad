"""Fixtures of the REST API tests: API clients (with their clear secret), calls with a bearer, and a catalogue
(services, a published procedure, public and private knowledge sheets) in Saint-Aubin and in Montclair."""

import json

import pytest

from guichet.api_clients import services as clients
from guichet.api_clients.models import Scope
from tests.conftest import client_for, make_service
from tests.knowledge.conftest import make_sheet, make_theme
from tests.service_requests.conftest import make_procedure

ALL_SCOPES = list(Scope.values)


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def make_api_client(organisation, *, name="Logiciel état civil", scopes=ALL_SCOPES, rate_limit=1000, **fields):
    """(ApiClient, clear secret)."""
    return clients.create_client(organisation, name=name, scopes=scopes, rate_limit=rate_limit, **fields)


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def body(response):
    return json.loads(response.content.decode())


def assert_problem(response, status):
    """The response is an RFC 9457 problem document of `status`, in French; its body."""
    assert response.status_code == status, response.content.decode()[:2000]
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    data = body(response)
    assert data["status"] == status
    assert data["type"] and data["title"] and data["detail"] and data["code"]
    return data


@pytest.fixture
def api_client_and_secret(organisation):
    return make_api_client(organisation)


@pytest.fixture
def secret(api_client_and_secret):
    return api_client_and_secret[1]


@pytest.fixture
def anonymous(organisation):
    return client_for(organisation)


@pytest.fixture
def catalogue(organisation, service):
    """Saint-Aubin's catalogue: two services, a published procedure (citizens), one for agents only, one
    exposed in Open311, a public and a private sheet."""
    service.email, service.phone, service.description = "etat-civil@saint-aubin.example.org", "03 83 00 20 10", \
        "Actes, mariages, décès."
    service.save()
    roads = make_service(organisation, name="Services techniques", slug="services-techniques")
    civil = make_procedure(organisation, service)
    counter = make_procedure(organisation, service, slug="recensement", title="Recensement citoyen", who="agents")
    report = make_procedure(organisation, roads, slug="signalement", title="Signaler un problème de voirie",
                            who="anyone")
    report.open311 = True
    report.theme = "services-techniques"
    report.save()
    theme = make_theme(organisation, name="Voirie")
    public = make_sheet(organisation, theme, roads, question="Comment faire enlever un graffiti ?",
                        answer="<p>La commune enlève les graffitis.<script>alert(1)</script></p>", is_public=True,
                        procedures=[report])
    private = make_sheet(organisation, theme, roads, question="Procédure interne de nettoyage",
                         answer="<p>Interne.</p>", is_public=False)
    return {"service": service, "roads": roads, "civil": civil, "counter": counter, "report": report,
            "theme": theme, "public": public, "private": private}


@pytest.fixture
def other_catalogue(other_organisation):
    """Montclair's own procedure, service and public sheet."""
    other_service = make_service(other_organisation, name="Propreté", slug="proprete")
    procedure = make_procedure(other_organisation, other_service, slug="montclair-only", title="Démarche de Montclair")
    theme = make_theme(other_organisation, name="Propreté")
    sheet = make_sheet(other_organisation, theme, other_service, question="Graffitis à Montclair ?",
                       answer="<p>Montclair.</p>", is_public=True)
    return {"service": other_service, "procedure": procedure, "sheet": sheet}
