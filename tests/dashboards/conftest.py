import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _live_figures(settings):
    """Each test computes its figures (the cache is tried on its own in test_dashboard.py)."""
    settings.GUICHET_DASHBOARD_CACHE_SECONDS = 0
    cache.clear()
    yield
    cache.clear()
