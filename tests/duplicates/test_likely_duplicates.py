"""Likely duplicates: same collectivité and procedure, recent, sharing the person or the place."""

import datetime

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guichet.duplicates.addresses import AddressDigits, AddressKey, address_digits, normalise_address
from guichet.duplicates.services import likely_duplicates
from guichet.service_requests.models import ServiceRequest
from tests.conftest import make_citizen, make_service
from tests.documents.builders import make_version

from .conftest import FORM, LAT, LON, WORKFLOW, make_request, metres_north

pytestmark = pytest.mark.django_db


def codes(found):
    return [duplicate.request.tracking_code for duplicate in found]


def reasons(found, request):
    return next(d.reasons for d in found if d.request.pk == request.pk)


def test_same_citizen(voirie, citizen):
    first = make_request(voirie, citizen, days_ago=3)
    second = make_request(voirie, citizen)
    found = likely_duplicates(second)
    assert codes(found) == [first.tracking_code]
    assert reasons(found, first) == ["même usager"]


def test_same_contact_email_with_or_without_account(voirie, citizen):
    anonymous = make_request(voirie, None, contact_name="C. Martin", contact_email="CAMILLE.MARTIN@example.org")
    mine = make_request(voirie, citizen)
    assert reasons(likely_duplicates(mine), anonymous) == ["même courriel"]
    assert reasons(likely_duplicates(anonymous), mine) == ["même courriel"]


def test_same_phone_whatever_its_format(voirie, organisation):
    citizen = make_citizen(organisation, email="hugo@example.org", phone="+33612345678")
    by_phone = make_request(voirie, None, contact_name="Hugo", contact_email="autre@example.org",
                            contact_phone="06 12 34 56 78")
    mine = make_request(voirie, citizen)
    assert reasons(likely_duplicates(mine), by_phone) == ["même téléphone"]
    assert reasons(likely_duplicates(by_phone), mine) == ["même téléphone"]


def test_same_address_normalised(voirie, citizen, organisation):
    other_citizen = make_citizen(organisation, email="lea@example.org")
    first = make_request(voirie, other_citizen, address="3, Av. de l'Église, 54470 Saint-Aubin")
    second = make_request(voirie, citizen, address="3 avenue de l'eglise  54470 SAINT AUBIN")
    elsewhere = make_request(voirie, make_citizen(organisation, email="x@example.org"),
                             address="5 avenue de l'Église, 54470 Saint-Aubin")
    found = likely_duplicates(second)
    assert codes(found) == [first.tracking_code]
    assert reasons(found, first) == ["même adresse"]
    assert elsewhere.tracking_code not in codes(found)


def test_the_sql_and_python_normalisations_agree(voirie):
    addresses = ["3, Av. de l'Église, 54470 Saint-Aubin", "12 BD Foch", "Pl. du Marché-Couvert (côté nord)",
                 "  7   r.  des   Œillets ", "1 Chem. de l'Étang", "Rue Ÿ", "3bis, r. r. 54470", "12-14 av Foch"]
    for address in addresses:
        make_request(voirie, None, address=address, contact_email="a@example.org")
    stored = ServiceRequest.objects.filter(address__in=addresses).annotate(
        key=AddressKey(F("address")), digits=AddressDigits(F("address")))
    assert {row.address: row.key for row in stored} == {address: normalise_address(address) for address in addresses}
    # The digits compared first are those of the key too (a necessary condition, never a false negative).
    assert {row.address: row.digits for row in stored} == {
        address: address_digits(normalise_address(address)) for address in addresses}
    assert normalise_address("3, Av. de l'Église") == "3 avenue de l eglise"


def test_a_point_within_100_metres(voirie, organisation, citizen):
    near = make_request(voirie, make_citizen(organisation, email="near@example.org"), lat=metres_north(40), lon=LON)
    far = make_request(voirie, make_citizen(organisation, email="far@example.org"), lat=metres_north(150), lon=LON)
    east = make_request(voirie, make_citizen(organisation, email="east@example.org"), lat=LAT, lon=LON + 0.0012)
    mine = make_request(voirie, citizen, lat=LAT, lon=LON)
    found = likely_duplicates(mine)
    assert reasons(found, near) == ["à 40 m"]
    assert far.tracking_code not in codes(found)
    # 0.0012° of longitude at 48.7° north is about 88 m.
    assert reasons(found, east) == ["à 88 m"]
    # In the bounding box's corner but beyond 100 m: dropped by the exact distance.
    corner = make_request(voirie, make_citizen(organisation, email="corner@example.org"),
                          lat=metres_north(90), lon=LON + 0.0011)
    assert corner.tracking_code not in codes(likely_duplicates(mine, limit=10))


def test_not_across_collectivites_procedures_time_or_states(voirie, other_voirie, citizen, organisation,
                                                            other_organisation):
    montclair = make_version(other_organisation, make_service(other_organisation), slug="voirie", form=FORM,
                             workflow=WORKFLOW)
    make_request(montclair, make_citizen(other_organisation), contact_email="camille.martin@example.org",
                 lat=LAT, lon=LON, address="1 place de l'Église")
    make_request(other_voirie, citizen, lat=LAT, lon=LON, address="1 place de l'Église")
    make_request(voirie, citizen, days_ago=31, lat=LAT, lon=LON, address="1 place de l'Église")
    withdrawn = make_request(voirie, citizen, lat=LAT, lon=LON)
    ServiceRequest.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now(), closed_at=timezone.now())
    make_request(voirie, citizen, state=ServiceRequest.State.DRAFT, lat=LAT, lon=LON)
    main = make_request(voirie, None, contact_email="z@example.org")
    merged = make_request(voirie, citizen, lat=LAT, lon=LON)
    ServiceRequest.objects.filter(pk=merged.pk).update(merged_into=main, closed_at=timezone.now())
    mine = make_request(voirie, citizen, lat=LAT, lon=LON, address="1 place de l'Église")
    assert likely_duplicates(mine) == []
    # Closed recently: still a likely duplicate.
    closed_lately = make_request(voirie, citizen, days_ago=20)
    ServiceRequest.objects.filter(pk=closed_lately.pk).update(closed_at=timezone.now() - datetime.timedelta(days=5))
    assert codes(likely_duplicates(mine)) == [closed_lately.tracking_code]


def test_best_first_and_limited(voirie, citizen, organisation):
    mine = make_request(voirie, citizen, address="1 place de l'Église", lat=LAT, lon=LON)
    everything = make_request(voirie, citizen, days_ago=2, address="1 place de l'Église", lat=LAT, lon=LON)
    person = make_request(voirie, citizen, days_ago=1)
    place = make_request(voirie, make_citizen(organisation, email="p@example.org"), address="1 Pl. de l'église")
    points = [make_request(voirie, make_citizen(organisation, email=f"n{i}@example.org"), lat=metres_north(10 * i),
                           lon=LON) for i in range(1, 7)]
    found = likely_duplicates(mine)
    assert codes(found) == [everything.tracking_code, person.tracking_code, place.tracking_code,
                            points[0].tracking_code, points[1].tracking_code]
    assert reasons(found, everything) == ["même usager", "même adresse"]
    assert len(likely_duplicates(mine, limit=20)) == 9


def test_a_draft_entered_at_the_counter_is_compared_on_its_answers(voirie, citizen, agent):
    existing = make_request(voirie, citizen, address="8 rue des Lilas, 54470 Saint-Aubin", lat=LAT, lon=LON)
    draft = make_request(voirie, None, state=ServiceRequest.State.DRAFT, entered_by=agent,
                         channel=ServiceRequest.Channel.COUNTER, contact_name="Camille Martin",
                         contact_email="",
                         data={"adresse": {"street": "8 rue des Lilas", "postcode": "54470", "city": "Saint-Aubin",
                                           "lat": str(metres_north(30)), "lon": str(LON)}})
    found = likely_duplicates(draft)
    assert codes(found) == [existing.tracking_code]
    assert reasons(found, existing) == ["même adresse"]
    assert found[0].distance == 30


def test_among_restricts_to_what_the_caller_may_see(voirie, citizen):
    first = make_request(voirie, citizen)
    mine = make_request(voirie, citizen)
    assert likely_duplicates(mine, among=ServiceRequest.objects.exclude(pk=first.pk)) == []


def test_one_bounded_query_whatever_the_number_of_candidates(voirie, citizen, organisation):
    mine = make_request(voirie, citizen, address="1 place de l'Église", lat=LAT, lon=LON,
                        contact_phone="06 12 34 56 78", contact_email="c@example.org")
    for size in (3, 30):
        for i in range(size):
            make_request(voirie, citizen, address="1 place de l'Église", lat=LAT, lon=LON)
        with CaptureQueriesContext(connection) as queries:
            found = likely_duplicates(mine)
            [d.request.version.title for d in found]
        assert len(queries) == 1
        assert "LIMIT 20" in queries[0]["sql"]
        assert len(found) == min(size, 5)


def test_nothing_to_compare_means_no_query(voirie):
    lonely = make_request(voirie, None)
    with CaptureQueriesContext(connection) as queries:
        assert likely_duplicates(lonely) == []
    assert len(queries) == 0
