"""Fixtures of the knowledge base tests: themes, services, sheets written through the service."""

import pytest

from guichet.knowledge import services
from guichet.knowledge.models import Theme
from tests.conftest import make_agent, make_service


def make_theme(organisation, name="État civil", position=10):
    return Theme.objects.create(organisation=organisation, name=name, position=position)


def make_sheet(organisation, theme, service, question="Comment obtenir un acte de naissance ?",
               answer="<p>Demandez-le à la mairie du lieu de naissance.</p>", author=None, **fields):
    return services.write_sheet(organisation, author, question=question, answer=answer, theme=theme,
                                service=service, **fields)


@pytest.fixture
def theme(organisation):
    return make_theme(organisation)


@pytest.fixture
def roads(organisation):
    return make_service(organisation, name="Services techniques", slug="services-techniques")


@pytest.fixture
def roads_theme(organisation):
    return make_theme(organisation, name="Voirie et propreté", position=20)


@pytest.fixture
def roads_agent(organisation, roads):
    return make_agent(organisation, email="voirie@example.org", services=[roads])


@pytest.fixture
def sheet(organisation, theme, service, agent):
    return make_sheet(organisation, theme, service, author=agent)


@pytest.fixture
def graffiti(organisation, roads_theme, roads):
    return make_sheet(
        organisation, roads_theme, roads, question="Comment faire enlever un graffiti ?",
        answer="<p>La commune enlève gratuitement les graffitis visibles depuis la rue, avec l'accord du "
               "propriétaire de la façade.</p>", is_public=True,
    )


@pytest.fixture
def other_sheet(other_organisation):
    """A public sheet of the other collectivité, about graffiti too."""
    other_service = make_service(other_organisation, name="Propreté", slug="proprete")
    other_theme = make_theme(other_organisation, name="Propreté")
    return make_sheet(other_organisation, other_theme, other_service, question="Graffitis à Montclair : qui appeler ?",
                      answer="<p>Appelez la brigade de propreté de Montclair.</p>", is_public=True)



@pytest.fixture
def client_for_agent(organisation, agent):
    from tests.conftest import client_for

    return client_for(organisation, agent)


def verified(user):
    """The user as a request that passed the second factor sees them (OTP middleware)."""
    user.is_verified = lambda: True
    return user
