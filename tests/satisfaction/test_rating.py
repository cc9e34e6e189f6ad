"""The citizen rates the answer of a closed request: accessible form, bad input, who may, one rating per closing."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from guichet.satisfaction import services
from guichet.satisfaction.models import Rating
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.workflows import engine
from tests.conftest import client_for, make_agent, make_citizen, make_service
from tests.documents.builders import make_request, make_version

from .conftest import WORKFLOW, agent_page, citizen_page, close, follow_in_session, rate_url, text

pytestmark = pytest.mark.django_db


def test_the_citizen_rates_a_closed_request_and_it_shows_on_both_pages(closed_request, citizen_client,
                                                                         agent_client):
    page = text(citizen_client.get(citizen_page(closed_request)))
    assert "Votre avis sur la réponse" in page
    # A radio group with a legend and one labelled radio per score, from « Très insatisfait » to « Très satisfait ».
    assert "<legend>Votre note sur la réponse du service" in page
    for score, label in [(1, "Très insatisfait"), (3, "Ni satisfait ni insatisfait"), (5, "Très satisfait")]:
        assert f'<label for="id_avis-score_{score - 1}">{score} — {label}</label>' in page
        assert f'type="radio" name="avis-score" value="{score}"' in page
    assert '<label for="id_avis-comment">Commentaire' in page

    response = citizen_client.post(rate_url(closed_request), {"avis-score": "4", "avis-comment": "Rapide et poli."})
    assert response.status_code == 302 and response.url.endswith("#avis")
    rating = Rating.objects.get(request=closed_request)
    assert (rating.score, rating.comment, rating.author, rating.closed_at) == (
        4, "Rapide et poli.", closed_request.citizen, closed_request.closed_at)
    event = closed_request.events.get(kind=RequestEvent.Kind.RATED)
    assert event.visible_to_citizen and event.actor == closed_request.citizen
    assert "4 sur 5 (Satisfait)" in event.text and "Rapide et poli." in event.text

    page = text(citizen_client.get(citizen_page(closed_request)))
    assert "Vous avez donné la note 4 sur 5 (Satisfait)" in page and "Rapide et poli." in page
    assert 'name="avis-score"' not in page  # no second rating of this closing
    agent_view = text(agent_client.get(agent_page(closed_request)))
    assert "Avis de l'usager et réouverture" in agent_view
    assert "Note 4 sur 5 (Satisfait)" in agent_view and "Rapide et poli." in agent_view


@pytest.mark.parametrize("score", ["0", "6", "abc", "", "4.5", "-1"])
def test_a_score_outside_1_to_5_is_refused_and_the_comment_is_kept(closed_request, citizen_client, score):
    response = citizen_client.post(rate_url(closed_request), {"avis-score": score, "avis-comment": "Mon commentaire"})
    assert response.status_code == 400
    page = text(response)
    assert "Choisissez une note de 1 (très insatisfait) à 5 (très satisfait)." in page
    assert 'id="error-summary"' in page and 'href="#id_avis-score_0"' in page
    assert 'aria-describedby="id_avis-score_error"' in page
    assert "\nMon commentaire</textarea>" in page
    assert not Rating.objects.exists()
    assert not closed_request.events.filter(kind=RequestEvent.Kind.RATED).exists()


def test_a_too_long_comment_is_refused(closed_request, citizen_client):
    comment = "x" * 2001
    response = citizen_client.post(rate_url(closed_request), {"avis-score": "2", "avis-comment": comment})
    assert response.status_code == 400
    page = text(response)
    assert "Ce texte est trop long : 2000 caractères au plus (il en compte 2001)." in page
    assert 'value="2" id="id_avis-score_1" checked' in page or 'value="2"' in page
    assert not Rating.objects.exists()
    # 2000 characters are fine.
    assert citizen_client.post(rate_url(closed_request), {"avis-score": "2", "avis-comment": "y" * 2000}).status_code == 302
    assert len(Rating.objects.get().comment) == 2000


def test_a_request_not_closed_cannot_be_rated(version, citizen, citizen_client):
    open_request = make_request(version, citizen=citizen)
    assert "Votre avis sur la réponse" not in text(citizen_client.get(citizen_page(open_request)))
    response = citizen_client.post(rate_url(open_request), {"avis-score": "5"})
    assert response.status_code == 400
    assert "Cette demande n'est pas close" in text(response)
    assert citizen_client.get(rate_url(open_request)).status_code == 302
    assert not Rating.objects.exists()


@pytest.mark.parametrize("how", ["withdrawn", "merged", "anonymised"])
def test_withdrawn_merged_or_anonymised_requests_are_not_rated(closed_request, version, citizen, how, agent):
    if how == "withdrawn":
        ServiceRequest.objects.filter(pk=closed_request.pk).update(withdrawn_at=timezone.now())
    elif how == "merged":
        other = make_request(version, citizen=citizen)
        ServiceRequest.objects.filter(pk=closed_request.pk).update(merged_into=other)
    else:
        ServiceRequest.objects.filter(pk=closed_request.pk).update(anonymised_at=timezone.now())
    closed_request.refresh_from_db()
    with pytest.raises(services.SatisfactionRefused) as refused:
        services.rate(closed_request, citizen, 5)
    assert "n'est pas close" in refused.value.message
    assert not Rating.objects.exists()


def test_only_its_citizen_rates_it(organisation, closed_request, service):
    stranger = make_citizen(organisation, email="voisin@example.org")
    assert client_for(organisation, stranger).post(rate_url(closed_request), {"avis-score": "1"}).status_code == 404
    assert client_for(organisation).post(rate_url(closed_request), {"avis-score": "1"}).status_code == 404
    agent = make_agent(organisation, email="collegue@example.org", services=[service])
    assert client_for(organisation, agent).post(rate_url(closed_request), {"avis-score": "1"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.rate(closed_request, stranger, 1)
    with pytest.raises(PermissionDenied):
        services.rate(closed_request, None, 1)
    assert not Rating.objects.exists()


def test_another_collectivites_request_is_not_found(organisation, other_organisation, citizen, citizen_client):
    montclair_service = make_service(other_organisation, name="Voirie", slug="voirie")
    montclair_agent = make_agent(other_organisation, email="agent@montclair.example.org", services=[montclair_service])
    montclair_citizen = make_citizen(other_organisation, email="habitant@montclair.example.org")
    version = make_version(other_organisation, montclair_service, slug="voirie", workflow=WORKFLOW)
    montclair_request = close(make_request(version, citizen=montclair_citizen), montclair_agent)
    assert citizen_client.post(rate_url(montclair_request), {"avis-score": "1"}).status_code == 404
    # Its own citizen, signed in on Montclair, cannot post it through Saint-Aubin's host either.
    assert client_for(organisation, montclair_citizen).post(
        rate_url(montclair_request), {"avis-score": "1"}).status_code == 404
    assert not Rating.objects.exists()


def test_rating_twice_keeps_the_first_rating(closed_request, citizen_client):
    assert citizen_client.post(rate_url(closed_request), {"avis-score": "5"}).status_code == 302
    response = citizen_client.post(rate_url(closed_request), {"avis-score": "1", "avis-comment": "Changé d'avis"},
                                   follow=True)
    assert response.status_code == 200
    assert "Vous avez déjà donné votre avis sur cette réponse" in text(response)
    assert list(Rating.objects.values_list("score", flat=True)) == [5]
    assert closed_request.events.filter(kind=RequestEvent.Kind.RATED).count() == 1


def test_a_request_reopened_and_closed_again_may_be_rated_again(closed_request, citizen, agent):
    services.rate(closed_request, citizen, 2, "Pas réglé")
    engine.enter_status(closed_request, "recue", agent, reason="Rouverte")
    closed_request.refresh_from_db()
    with pytest.raises(services.SatisfactionRefused):
        services.rate(closed_request, citizen, 5)
    close(closed_request, agent, answer="Cette fois c'est réglé.")
    services.rate(closed_request, citizen, 5, "Merci")
    assert list(Rating.objects.order_by("pk").values_list("score", flat=True)) == [2, 5]
    assert Rating.objects.values("closed_at").distinct().count() == 2


def test_an_anonymous_submitter_rates_from_the_session_that_follows_it(organisation, anonymous_closed_request):
    client = client_for(organisation)
    assert client.post(rate_url(anonymous_closed_request), {"avis-score": "3"}).status_code == 404
    follow_in_session(client, anonymous_closed_request)
    assert "Votre avis sur la réponse" in text(client.get(citizen_page(anonymous_closed_request)))
    assert client.post(rate_url(anonymous_closed_request), {"avis-score": "3"}).status_code == 302
    rating = Rating.objects.get()
    assert rating.score == 3 and rating.author is None


def test_the_agent_who_entered_it_at_the_counter_does_not_rate_for_the_citizen(organisation, version, agent):
    service_request = make_request(version, citizen=None, entered_by=agent, contact_name="Alex",
                                   contact_email="alex@example.org")
    close(service_request, agent)
    client = client_for(organisation, agent)
    page = text(client.get(citizen_page(service_request)))
    assert "Votre avis sur la réponse" in page and 'name="avis-score"' not in page
    assert client.post(rate_url(service_request), {"avis-score": "5"}).status_code == 403
    assert not Rating.objects.exists()


def test_the_rating_page_is_for_get_and_post_only(closed_request, citizen_client):
    assert citizen_client.put(rate_url(closed_request)).status_code == 405
    assert citizen_client.get(rate_url(closed_request)).status_code == 200


def test_the_rating_form_speaks_english(closed_request, citizen_client):
    citizen_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = text(citizen_client.get(citizen_page(closed_request)))
    assert "Your rating of the service’s answer" in page and "1 — Very dissatisfied" in page
    assert "Not happy with the answer?" in page and "Ask for reopening" in page
    assert "Optional, 2000 characters at most." in page and "5 — Very satisfied" in page
    response = citizen_client.post(rate_url(closed_request), {"avis-score": "9"})
    assert "Choose a rating from 1 (very dissatisfied) to 5 (very satisfied)." in text(response)
