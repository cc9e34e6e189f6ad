"""A request's place and the household members it concerns are copied from its answers at submission."""

from types import SimpleNamespace

from guichet.service_requests.location import concerns_of, location_of

FORM = {"pages": [{"id": "p", "title": "Lieu", "fields": [
    {"id": "lieu", "type": "address", "label": "Adresse"},
    {"id": "autre", "type": "address", "label": "Autre adresse"},
    {"id": "enfants", "type": "household_member", "label": "Enfants"},
]}]}


def test_first_address_answered_gives_the_place_and_the_district():
    answers = {"lieu": {"street": "3 rue des Lilas", "postcode": "54470", "city": "Saint-Aubin", "lat": "48.69",
                        "lon": "6.18"}, "autre": {"street": "1 place", "postcode": "", "city": "Nancy"}}
    location = location_of(FORM, answers)
    assert location.address == "3 rue des Lilas, 54470 Saint-Aubin"
    assert (location.latitude, location.longitude) == (48.69, 6.18)
    assert location.district == "Saint-Aubin"


def test_out_of_range_or_garbled_points_are_dropped_not_stored():
    answers = {"lieu": {"street": "3 rue des Lilas", "city": "Saint-Aubin", "lat": "200", "lon": "abc"}}
    location = location_of(FORM, answers)
    assert location.latitude is None and location.longitude is None
    assert location.address == "3 rue des Lilas, Saint-Aubin"


def test_a_quartier_field_names_the_district():
    form = {"pages": [{"id": "p", "fields": [
        {"id": "quartier", "type": "choice", "label": "Quartier",
         "choices": [{"value": "centre", "label": "Centre-ville"}]},
        {"id": "lieu", "type": "address", "label": "Adresse"}]}]}
    location = location_of(form, {"quartier": "centre", "lieu": {"street": "rue", "city": "Saint-Aubin"}})
    assert location.district == "Centre-ville"


def test_no_address_means_no_place():
    assert location_of(FORM, {}).address == ""


def test_concerned_household_members_are_named_once():
    members = [SimpleNamespace(pk=1, first_name="Léa", last_name="Martin"),
               SimpleNamespace(pk=2, first_name="Hugo", last_name="Martin")]
    assert concerns_of(FORM, {"enfants": [2, 1, 2, 99]}, members) == "Hugo Martin, Léa Martin"
