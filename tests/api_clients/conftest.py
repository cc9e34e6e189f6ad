import pytest

from guichet.api_clients import services
from guichet.api_clients.models import Scope
from tests.conftest import make_agent, make_service

LIST = "/agents/admin/api/"


@pytest.fixture
def make_client():
    def make(organisation, name="Logiciel d'état civil", scopes=(Scope.REQUESTS_READ,), **fields):
        return services.create_client(organisation, name=name, scopes=[str(scope) for scope in scopes], **fields)

    return make


@pytest.fixture
def other_admin(other_organisation):
    return make_agent(other_organisation, email="admin.montclair@example.org", is_org_admin=True)


@pytest.fixture
def other_service(other_organisation):
    return make_service(other_organisation, name="Voirie", slug="voirie")
