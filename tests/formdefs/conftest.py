import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def form_with(*fields, pages=None):
    """A one-page definition with these fields."""
    return {"pages": pages or [{"id": "page", "title": "Page", "condition": None, "fields": list(fields)}]}
