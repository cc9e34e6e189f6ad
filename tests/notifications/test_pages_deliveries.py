"""The delivery log (/agents/envois/): every agent sees the collectivité's deliveries, filters them, opens one
with its events; administrators and service managers send a failed or bounced one again."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet.agents.models import Membership
from guichet.notifications.models import Delivery, DeliveryEvent
from guichet.notifications.services import claim, notify, record_bounce, record_failed, record_sent
from tests.conftest import client_for, make_agent, make_citizen

LIST = "/agents/envois/"


def detail_url(delivery):
    return f"{LIST}{delivery.pk}/"


def retry_url(delivery):
    return f"{LIST}{delivery.pk}/relancer/"


def send(user, subject="Votre dossier", channel=None):
    """Notify `user`; returns the delivery it queued."""
    notification = notify(user, "message.free", {"objet": subject, "message": "Texte."}, channel=channel)
    return notification.deliveries.get()


def failed(delivery, error="550 boîte inconnue"):
    taken = claim(delivery.pk)
    taken.attempts = 1
    record_failed(taken, error)
    delivery.refresh_from_db()
    return delivery


def sent(delivery):
    taken = claim(delivery.pk)
    taken.attempts = 1
    record_sent(taken, "id-1", "250 OK")
    delivery.refresh_from_db()
    return delivery


def deliver_jobs():
    return DBTaskResult.objects.filter(task_path="guichet.notifications.services.deliver")


def text_of(response):
    return html.unescape(response.content.decode())


def main_of(response):
    return re.search(r"<main.*</main>", text_of(response), re.S).group()


def rows(response):
    return re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", main_of(response), re.S)


@pytest.fixture
def manager(organisation, service):
    return make_agent(organisation, email="responsable@example.org", services=[service], role=Membership.Role.MANAGER)


@pytest.fixture
def lea(organisation):
    return make_citizen(organisation, email="lea.durand@example.org", first_name="Léa", last_name="Durand",
                        phone="06 12 34 56 78")


def test_permissions(citizen, citizen_client, anonymous_client, agent_client, admin_client_org):
    delivery = send(citizen)
    for url in (LIST, detail_url(delivery)):
        response = anonymous_client.get(url)
        assert response.status_code == 302 and response.url.startswith("/agents/connexion/?next=")
        assert citizen_client.get(url).status_code == 403
        assert agent_client.get(url).status_code == 200
        assert admin_client_org.get(url).status_code == 200


def test_empty_log(agent_client):
    response = agent_client.get(LIST)
    assert "<title>Journal des envois — Saint-Aubin</title>" in text_of(response)
    assert "Aucun envoi pour l'instant." in main_of(response)


def test_list_shows_each_delivery_newest_first(citizen, lea, agent_client):
    first = failed(send(citizen, "Premier envoi"))
    second = sent(send(lea, "Deuxième envoi", channel="sms"))
    response = agent_client.get(LIST)
    content = main_of(response)
    assert "<caption>2 envois, les plus récents en premier</caption>" in content
    for header in ("Objet", "Canal", "Destinataire", "Mis en file le", "Envoyé le", "État", "Essais",
                   "Dernière erreur"):
        assert f'<th scope="col">{header}</th>' in content
    newest, oldest = rows(response)
    assert f'<a href="{detail_url(second)}">Deuxième envoi</a>' in newest
    assert "<td>SMS</td>" in newest and "Léa Durand" in newest and "+33612345678" in newest
    assert '<span class="badge">Envoyé</span>' in newest and "<td>1</td>" in newest
    assert timezone.localtime(second.sent_at).strftime("%d/%m/%Y %H:%M") in newest
    assert f'<a href="{detail_url(first)}">Premier envoi</a>' in oldest
    assert "<td>Courriel</td>" in oldest and "Camille Martin" in oldest and "camille.martin@example.org" in oldest
    assert '<span class="badge">Échec</span>' in oldest and "550 boîte inconnue" in oldest
    assert timezone.localtime(first.queued_at).strftime("%d/%m/%Y %H:%M") in oldest
    # A plain agent sees no « Relancer » button.
    assert "Relancer" not in content


def test_filters(citizen, lea, agent_client):
    email_failed = failed(send(citizen, "Courriel en échec"))
    sms_sent = sent(send(lea, "SMS envoyé", channel="sms"))
    old = send(lea, "Ancien courriel")
    Delivery.objects.filter(pk=old.pk).update(queued_at=timezone.now() - datetime.timedelta(days=40))

    def subjects(query):
        response = agent_client.get(LIST, query)
        assert response.status_code == 200
        return sorted(re.findall(r'href="/agents/envois/\d+/">([^<]+)</a>', main_of(response)))

    assert subjects({"channel": "sms"}) == ["SMS envoyé"]
    assert subjects({"status": "failed"}) == ["Courriel en échec"]
    assert subjects({"channel": "email", "status": "queued"}) == ["Ancien courriel"]
    today = timezone.localdate()
    assert subjects({"since": today.isoformat()}) == ["Courriel en échec", "SMS envoyé"]
    assert subjects({"until": (today - datetime.timedelta(days=30)).strftime("%d/%m/%Y")}) == ["Ancien courriel"]
    assert subjects({"q": "durand"}) == ["Ancien courriel", "SMS envoyé"]
    assert subjects({"q": "Léa Durand"}) == ["Ancien courriel", "SMS envoyé"]
    assert subjects({"q": "camille.martin@"}) == ["Courriel en échec"]
    assert subjects({"q": "06 12 34 56 78"}) == ["SMS envoyé"]
    assert subjects({"q": "personne"}) == []
    assert "Aucun envoi ne correspond à ces filtres." in main_of(agent_client.get(LIST, {"q": "personne"}))
    # The filter form is a plain GET form, refilled with the current filters.
    content = main_of(agent_client.get(LIST, {"channel": "sms", "q": "durand"}))
    assert '<form method="get" role="search" action="/agents/envois/"' in content
    assert 'value="durand"' in content and '<option value="sms" selected>' in content
    assert email_failed.pk and sms_sent.pk


def test_bad_filters_are_explained_and_not_applied(citizen, agent_client):
    send(citizen)
    response = agent_client.get(LIST, {"since": "31/02/2024", "status": "perdu"})
    content = main_of(response)
    assert "Le formulaire contient 2 erreurs" in content
    assert "Saisissez une date valide." in content
    assert "Sélectionnez un choix valide" in content
    assert len(rows(response)) == 1
    today = timezone.localdate()
    response = agent_client.get(LIST, {"since": (today + datetime.timedelta(days=10)).isoformat(),
                                       "until": (today + datetime.timedelta(days=1)).isoformat()})
    assert "La date de fin doit être postérieure ou égale à la date de début." in main_of(response)
    assert len(rows(response)) == 0  # the valid « since » still applies


def test_pagination_keeps_the_filters(organisation, agent_client):
    people = [make_citizen(organisation, email=f"p{number}@example.org") for number in range(27)]
    for person in people:
        send(person)
    first = agent_client.get(LIST, {"channel": "email"})
    assert len(rows(first)) == 25 and "Page 1 sur 2" in main_of(first)
    assert 'href="?channel=email&amp;page=2"' in first.content.decode()
    assert len(rows(agent_client.get(LIST, {"channel": "email", "page": 2}))) == 2


def count_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


@pytest.mark.parametrize("viewer", ["agent", "org_admin", "manager"])
def test_list_query_count_is_constant(request, organisation, viewer):
    client = client_for(organisation, request.getfixturevalue(viewer))
    failed(send(make_citizen(organisation, email="premier@example.org")))
    one = count_queries(client)
    for number in range(19):
        person = make_citizen(organisation, email=f"c{number}@example.org")
        delivery = send(person, channel="sms" if number % 2 else None)
        if number % 3 == 0:
            failed(delivery)
    assert count_queries(client) == one


def test_detail_shows_the_events_in_order(organisation, lea, agent_client):
    delivery = send(lea, channel="letter")  # Léa has no postal address: falls back to e-mail
    delivery = failed(delivery)
    response = agent_client.get(detail_url(delivery))
    content = main_of(response)
    assert "<title>Envoi : Votre dossier — Saint-Aubin</title>" in text_of(response)
    assert "<dd>Courriel</dd>" in content and "lea.durand@example.org" in content
    assert "<caption>Événements de cet envoi, dans l'ordre</caption>" in content
    kinds = re.findall(r'<th scope="row">([^<]+)</th>', content)
    assert kinds == ["Canal de repli", "Mis en file", "Échec définitif"]
    assert "Pas d'adresse pour : Courrier postal ; envoi par Courriel." in content
    assert "Relancer" not in content  # plain agent


def test_another_collectivites_delivery_is_404(organisation, other_organisation, agent_client, admin_client_org):
    elsewhere = failed(send(make_citizen(other_organisation, email="ailleurs@example.org")))
    assert agent_client.get(detail_url(elsewhere)).status_code == 404
    assert admin_client_org.post(retry_url(elsewhere)).status_code == 404
    assert agent_client.get(f"{LIST}999999/").status_code == 404
    assert "ailleurs@example.org" not in main_of(agent_client.get(LIST))
    elsewhere.refresh_from_db()
    assert elsewhere.status == Delivery.Status.FAILED


def test_an_agent_of_another_collectivite_is_anonymous_here(organisation, other_organisation, citizen):
    delivery = send(citizen)
    intruder = client_for(organisation, make_agent(other_organisation, email="x@montclair.example", is_org_admin=True))
    for url in (LIST, detail_url(delivery)):
        response = intruder.get(url)
        assert response.status_code == 302 and response.url.startswith("/agents/connexion/")


@pytest.mark.parametrize("viewer", ["org_admin", "manager"])
def test_administrators_and_managers_retry_a_failed_delivery(request, organisation, citizen, viewer):
    client = client_for(organisation, request.getfixturevalue(viewer))
    delivery = failed(send(citizen))
    jobs = deliver_jobs().count()
    content = main_of(client.get(detail_url(delivery)))
    assert f'<form method="post" action="{retry_url(delivery)}">' in content
    assert f'action="{retry_url(delivery)}"' in main_of(client.get(LIST))
    response = client.post(retry_url(delivery), follow=True)
    assert response.redirect_chain == [(detail_url(delivery), 302)]
    assert "L'envoi à camille.martin@example.org est relancé." in text_of(response)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Delivery.Status.QUEUED, 0, "")
    assert list(delivery.events.values_list("kind", flat=True))[-1] == DeliveryEvent.Kind.RETRIED
    assert deliver_jobs().count() == jobs + 1
    assert "Relancé par un agent" in main_of(response)


def test_retry_from_the_list_comes_back_to_the_filtered_list(organisation, citizen, admin_client_org):
    delivery = failed(send(citizen))
    response = admin_client_org.post(retry_url(delivery), {"next": "/agents/envois/?status=failed"})
    assert response.status_code == 302 and response.url == "/agents/envois/?status=failed"
    response = admin_client_org.post(retry_url(delivery), {"next": "https://ailleurs.example/"})
    assert response.url == detail_url(delivery)  # never leaves the site


def test_a_bounced_delivery_can_be_retried(citizen, admin_client_org):
    delivery = sent(send(citizen))
    record_bounce(delivery, "550 5.1.1 utilisateur inconnu")
    assert "Relancer" in main_of(admin_client_org.get(detail_url(delivery)))
    admin_client_org.post(retry_url(delivery))
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.QUEUED


def test_retrying_a_delivery_that_has_not_failed_is_refused_harmlessly(citizen, admin_client_org):
    queued = send(citizen)
    done = sent(send(citizen))
    jobs = deliver_jobs().count()
    for delivery in (queued, done):
        before = (delivery.status, delivery.attempts, delivery.events.count())
        assert "Relancer" not in main_of(admin_client_org.get(detail_url(delivery)))
        response = admin_client_org.post(retry_url(delivery), follow=True)
        assert "Cet envoi n'est pas en échec : il n'a pas été relancé." in text_of(response)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.events.count()) == before
    assert deliver_jobs().count() == jobs


def test_plain_agents_and_others_cannot_retry(citizen, citizen_client, anonymous_client, agent_client):
    delivery = failed(send(citizen))
    assert agent_client.post(retry_url(delivery)).status_code == 403
    assert citizen_client.post(retry_url(delivery)).status_code == 403
    assert anonymous_client.post(retry_url(delivery)).status_code == 302
    assert agent_client.get(retry_url(delivery)).status_code == 405
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED


def test_menu_links_for_agents(agent_client):
    content = agent_client.get(LIST).content.decode()
    assert '<a href="/agents/envois/">Envois</a>' in content
    assert '<a href="/agents/notifications/">Mes notifications</a>' in content
