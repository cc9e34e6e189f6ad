"""The demo loads every catalogue procedure, published, into every demo collectivité — once."""

from guichet.demo.data import COMMUNES, EPCI, load_demo
from guichet.procedures.exchange import catalogue_entries
from guichet.procedures.models import Procedure
from tests.conftest import client_for


def test_demo_has_the_catalogue_once(db, settings):
    load_demo()
    load_demo()
    slugs = {entry.slug for entry in catalogue_entries()}
    for slug in [EPCI["slug"], *(data["slug"] for data in COMMUNES)]:
        procedures = Procedure.objects.filter(organisation__slug=slug)
        assert set(procedures.values_list("slug", flat=True)) == slugs
        assert procedures.count() == len(slugs)
        assert not procedures.exclude(state="published").exists()
    saint_aubin = Procedure.objects.filter(organisation__slug="saint-aubin").first().organisation
    response = client_for(saint_aubin).get("/demarches/")
    assert response.status_code == 200
