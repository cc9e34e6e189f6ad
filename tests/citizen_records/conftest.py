"""Fixtures of the citizen records tests: published procedures (citizen-only, anyone, agents-only)."""

import pytest

from tests.service_requests.conftest import make_procedure


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def procedure(organisation, service):
    """Citizen-only (from a citizen's account online)."""
    return make_procedure(organisation, service)


@pytest.fixture
def agents_procedure(organisation, service):
    return make_procedure(organisation, service, slug="inscription-cantine", title="Inscription à la cantine",
                          who="agents")


@pytest.fixture
def open_procedure(organisation, service):
    return make_procedure(organisation, service, slug="signalement", title="Signaler un problème", who="anyone")
