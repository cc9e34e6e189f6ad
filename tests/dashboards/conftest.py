import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _live_figures(settings):
    """Each test computes its figures (the cache is tried on its own in test_dashboard.py)."""
    settings.GUICHET_DASHBOARD_CACHE_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _french_afterwards():
    """A page asked for in English leaves English active in the thread: the next tests get French back."""
    yield
    from django.utils import translation

    translation.activate("fr")
