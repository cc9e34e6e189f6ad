"""Fixtures of the exports tests: requests of two services of Saint-Aubin, and one of Montclair's."""

import datetime

import pytest
from django.utils import timezone

from guichet.service_requests.models import ServiceRequest
from guichet.service_requests.codes import new_tracking_code
from tests.conftest import client_for, make_agent, make_citizen, make_service
from tests.documents.builders import make_version


def bulk_requests(version, count, **fields):
    """`count` submitted requests of `version` inserted at once (the export tests need thousands)."""
    now = timezone.now()
    taken = set(ServiceRequest.objects.values_list("tracking_code", flat=True))
    codes = set()
    while len(codes) < count:  # distinct among themselves and from the rows already there
        code = new_tracking_code()
        if code not in taken:
            codes.add(code)
    codes = sorted(codes)
    rows = [
        ServiceRequest(
            organisation=version.organisation, version=version, procedure=version.procedure,
            tracking_code=codes[index], state=ServiceRequest.State.SUBMITTED, service=version.service,
            status=fields.get("status", "recue"), submitted_at=now - datetime.timedelta(minutes=index),
            contact_name=f"Demandeur {index:05d}", contact_email=f"demandeur{index}@example.org",
            **{key: value for key, value in fields.items() if key != "status"},
        )
        for index in range(count)
    ]
    return ServiceRequest.objects.bulk_create(rows, batch_size=500)


@pytest.fixture(autouse=True)
def _french_after():
    """A test that switched to English (the language cookie) leaves the thread in French for the next ones."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def voirie(organisation):
    return make_service(organisation, name="Voirie", slug="voirie")


@pytest.fixture
def version(organisation, service):
    return make_version(organisation, service)


@pytest.fixture
def voirie_version(organisation, voirie):
    return make_version(organisation, voirie, slug="nid-de-poule", title="Signaler un nid-de-poule")


@pytest.fixture
def other_version(other_organisation):
    return make_version(other_organisation, make_service(other_organisation, name="État civil", slug="etat-civil"))


@pytest.fixture
def colleague(organisation, service):
    return make_agent(organisation, email="collegue@example.org", services=[service], first_name="Sacha",
                      last_name="Collègue")


@pytest.fixture
def other_agent(other_organisation):
    service = make_service(other_organisation, name="Voirie", slug="voirie")
    return make_agent(other_organisation, email="agent@montclair.example.org", services=[service])


@pytest.fixture
def montclair_citizen(other_organisation):
    return make_citizen(other_organisation, email="habitant@montclair.example.org")


__all__ = ["bulk_requests", "client_for"]
