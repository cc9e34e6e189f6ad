"""Aggregates of satisfaction for statistics: count, average, distribution, by procedure and by service, over a
period (of the ratings given, or of the requests received), for a collectivité only; constant queries."""

import datetime

import pytest
from django.utils import timezone

from guichet.satisfaction.models import Rating
from guichet.satisfaction.services import rating_summary, ratings_by, ratings_of
from tests.conftest import make_service
from tests.documents.builders import make_request, make_version

pytestmark = pytest.mark.django_db


def at(year, month, day):
    return timezone.make_aware(datetime.datetime(year, month, day, 12))


@pytest.fixture
def ratings(organisation, other_organisation, service, citizen):
    parks = make_service(organisation, name="Espaces verts", slug="espaces-verts")
    potholes = make_version(organisation, service, slug="nid-de-poule", title="Signaler un nid-de-poule")
    hedges = make_version(organisation, parks, slug="haie", title="Tailler une haie")

    def rated(version, score, given, received):
        item = make_request(version, citizen=citizen)
        item.__class__.objects.filter(pk=item.pk).update(submitted_at=received, closed_at=given)
        rating = Rating.objects.create(organisation=version.organisation, request=item, closed_at=given, score=score)
        Rating.objects.filter(pk=rating.pk).update(created_at=given)
        return rating

    rated(potholes, 1, at(2026, 3, 5), at(2026, 2, 20))
    rated(potholes, 4, at(2026, 3, 15), at(2026, 3, 1))
    rated(hedges, 5, at(2026, 4, 2), at(2026, 3, 30))
    rated(hedges, 3, at(2026, 6, 1), at(2026, 5, 20))
    montclair = make_version(other_organisation, make_service(other_organisation), slug="x", title="Montclair")
    rated(montclair, 1, at(2026, 3, 10), at(2026, 3, 1))
    return {"parks": parks}


def test_summary_over_the_ratings_given_in_a_period(organisation, ratings):
    summary = rating_summary(ratings_of(organisation, start=at(2026, 3, 1), end=at(2026, 5, 1)))
    assert summary.count == 3 and summary.average == pytest.approx(10 / 3)
    assert [(score, count) for score, _label, count in summary.distribution] == [(1, 1), (2, 0), (3, 0), (4, 1), (5, 1)]
    assert summary.distribution[0][1] == "Très insatisfait" and summary.distribution[4][1] == "Très satisfait"


def test_by_the_date_the_requests_were_received(organisation, ratings):
    received = ratings_of(organisation, start=at(2026, 3, 1), end=at(2026, 5, 1), by="received")
    assert sorted(received.values_list("score", flat=True)) == [4, 5]


def test_by_procedure_and_by_service(organisation, ratings, service):
    period = ratings_of(organisation, start=at(2026, 1, 1), end=at(2027, 1, 1))
    assert [(row["label"], row["count"], row["average"]) for row in ratings_by(period, "procedure")] == [
        ("Signaler un nid-de-poule", 2, pytest.approx(2.5)), ("Tailler une haie", 2, pytest.approx(4.0))]
    assert [(row["label"], row["count"]) for row in ratings_by(period, "service")] == [
        ("Espaces verts", 2), ("État civil", 2)]
    only_parks = ratings_of(organisation, services=[ratings["parks"]])
    assert rating_summary(only_parks).count == 2


def test_nothing_rated_gives_zero_and_no_average(organisation, service):
    summary = rating_summary(ratings_of(organisation))
    assert summary.count == 0 and summary.average is None
    assert ratings_by(ratings_of(organisation), "procedure") == []


def test_one_query_each(organisation, ratings, django_assert_num_queries):
    period = ratings_of(organisation)
    with django_assert_num_queries(1):
        rating_summary(period)
    with django_assert_num_queries(1):
        ratings_by(period, "procedure")


def test_anonymising_a_request_erases_the_citizens_words_and_keeps_the_score(closed_request, citizen,
                                                                             agent):
    from guichet.satisfaction.models import ReopenRequest
    from guichet.satisfaction.services import ask_reopen, rate, refuse_reopen
    from guichet.workflows.services import anonymise

    agent.is_verified = lambda: True
    rate(closed_request, citizen, 2, "Je suis Camille Martin, 3 rue des Roses")
    reopen = ask_reopen(closed_request, citizen, "Appelez-moi au 06 11 22 33 44")
    refuse_reopen(reopen, agent, "Madame Martin, nous ne pouvons pas.")
    anonymise(closed_request, reason="Durée de conservation écoulée")
    rating = Rating.objects.get()
    assert (rating.score, rating.comment, rating.author) == (2, "", None)
    reopen = ReopenRequest.objects.get()
    assert (reopen.reason, reopen.decision_text, reopen.requested_by, reopen.decided_by) == ("", "", None, None)
    assert reopen.state == "refused"
    assert rating_summary(ratings_of(closed_request.organisation)).count == 1
