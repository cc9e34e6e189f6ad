"""« Mes notifications » for citizens (/compte/notifications/) and agents (/agents/notifications/), the unread
count in the menu, and the welcome notification sent when a citizen confirms their address."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from guichet.accounts.tokens import email_confirmation_token
from guichet.notifications.models import Delivery, Notification
from guichet.notifications.services import notify
from tests.conftest import client_for, make_agent, make_citizen

LIST = "/compte/notifications/"
MARK_ALL = "/compte/notifications/tout-marquer-comme-lu/"
AGENT_LIST = "/agents/notifications/"
AGENT_MARK_ALL = "/agents/notifications/tout-marquer-comme-lu/"


def tell(user, text="Votre dossier est complet.", subject="Votre dossier", **kwargs):
    return notify(user, "message.free", {"objet": subject, "message": text}, **kwargs)


def text_of(response):
    return html.unescape(response.content.decode())


def main_of(response):
    return re.search(r"<main.*</main>", response.content.decode(), re.S).group()


def test_anonymous_and_agents_are_kept_out_of_the_citizens_pages(citizen, anonymous_client, agent_client):
    notification = tell(citizen)
    for url in (LIST, f"{LIST}{notification.pk}/"):
        response = anonymous_client.get(url)
        assert response.status_code == 302 and response.url.startswith("/compte/connexion/?next=")
        assert agent_client.get(url).status_code == 403
    assert anonymous_client.post(MARK_ALL).status_code == 302
    assert agent_client.post(MARK_ALL).status_code == 403
    notification.refresh_from_db()
    assert notification.read_at is None


def test_citizens_are_kept_out_of_the_agents_list(citizen_client, anonymous_client):
    assert citizen_client.get(AGENT_LIST).status_code == 403
    response = anonymous_client.get(AGENT_LIST)
    assert response.status_code == 302 and response.url.startswith("/agents/connexion/?next=")


def test_empty_list(citizen_client):
    response = citizen_client.get(LIST)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Mes notifications — Saint-Aubin</title>" in content
    assert "Vous n'avez reçu aucune notification pour l'instant." in html.unescape(content)
    assert "Tout marquer comme lu" not in content


def test_list_newest_first_with_unread_marked_visually_and_in_text(citizen, citizen_client):
    old = tell(citizen, subject="Premier message")
    new = tell(citizen, subject="Second message")
    Notification.objects.filter(pk=old.pk).update(read_at=old.created_at)
    content = main_of(citizen_client.get(LIST))
    assert "<caption>2 notifications, les plus récentes en premier</caption>" in content
    assert content.index("Second message") < content.index("Premier message")
    new_row = re.search(rf'<tr class="unread">.*?href="{LIST}{new.pk}/".*?</tr>', content, re.S).group()
    assert "<strong>Second message</strong>" in new_row
    assert '<span class="visually-hidden"> (non lue)</span>' in new_row
    assert '<span class="badge">Non lue</span>' in new_row
    old_row = re.search(rf'<tr>\s*<th scope="row">\s*<a href="{LIST}{old.pk}/">Premier message</a>.*?</tr>', content,
                        re.S).group()
    assert "Lue" in old_row and "non lue" not in old_row.lower()


def test_opening_a_notification_shows_it_and_marks_it_read(citizen, citizen_client):
    notification = tell(citizen, text="Votre dossier <b>est complet</b>.", link="/compte/")
    response = citizen_client.get(f"{LIST}{notification.pk}/")
    assert response.status_code == 200
    content = main_of(response)
    assert "<h1>Votre dossier</h1>" in content
    assert "Madame Martin" not in content and "Bonjour," in content  # the citizen has no civility
    assert "Votre dossier &lt;b&gt;est complet&lt;/b&gt;." in content  # rendered text is escaped
    assert '<a class="button" href="/compte/">Ouvrir la page concernée</a>' in content
    assert "Nouvelle" in content
    notification.refresh_from_db()
    assert notification.read_at is not None
    first_read = notification.read_at
    assert "Nouvelle" not in main_of(citizen_client.get(f"{LIST}{notification.pk}/"))
    notification.refresh_from_db()
    assert notification.read_at == first_read


def test_a_link_that_is_not_a_web_address_is_not_shown(citizen, citizen_client):
    notification = tell(citizen, link="javascript:alert(1)")
    content = main_of(citizen_client.get(f"{LIST}{notification.pk}/"))
    assert "javascript:" not in content and "Ouvrir la page concernée" not in content


def test_mark_all_read_only_touches_the_citizens_own_unread_notifications(organisation, citizen, citizen_client):
    neighbour = make_citizen(organisation, email="voisin@example.org")
    mine = [tell(citizen), tell(citizen)]
    theirs = tell(neighbour)
    response = citizen_client.post(MARK_ALL, follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert "Toutes vos notifications sont marquées comme lues." in response.content.decode()
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = citizen_client.post(MARK_ALL, follow=True)
    assert "Vous n'aviez aucune notification non lue." in text_of(response)


def test_mark_all_read_is_a_post_form_and_refuses_get(citizen, citizen_client):
    tell(citizen)
    content = main_of(citizen_client.get(LIST))
    assert re.search(rf'<form method="post" action="{MARK_ALL}">\s*<input type="hidden" name="csrfmiddlewaretoken"',
                     content)
    assert citizen_client.get(MARK_ALL).status_code == 405
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_another_persons_or_collectivites_notification_is_404(
    organisation, other_organisation, citizen, citizen_client
):
    neighbour = make_citizen(organisation, email="voisin@example.org")
    elsewhere = make_citizen(other_organisation, email=citizen.email)
    for notification in (tell(neighbour), tell(elsewhere)):
        assert citizen_client.get(f"{LIST}{notification.pk}/").status_code == 404
        notification.refresh_from_db()
        assert notification.read_at is None
    assert citizen_client.get(f"{LIST}999999/").status_code == 404
    assert "Vous n'avez reçu aucune notification" in text_of(citizen_client.get(LIST))


def test_a_citizen_of_another_collectivite_is_anonymous_here(organisation, other_organisation):
    elsewhere = make_citizen(other_organisation, email="ailleurs@example.org")
    notification = tell(elsewhere)
    intruder = client_for(organisation, elsewhere)
    response = intruder.get(f"{LIST}{notification.pk}/")
    assert response.status_code == 302 and response.url.startswith("/compte/connexion/")
    notification.refresh_from_db()
    assert notification.read_at is None


def test_pagination(citizen, citizen_client):
    for number in range(23):
        tell(citizen, subject=f"Message {number}")
    first = main_of(citizen_client.get(LIST))
    assert first.count('<th scope="row">') == 20 and "Message 22" in first and "Message 2<" not in first
    assert "Page 1 sur 2" in first and 'href="?page=2"' in first
    second = main_of(citizen_client.get(LIST + "?page=2"))
    assert second.count('<th scope="row">') == 3 and "Message 0" in second
    assert main_of(citizen_client.get(LIST + "?page=abc")).count('<th scope="row">') == 20


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_query_count_is_constant(citizen, citizen_client):
    tell(citizen)
    one = count_queries(citizen_client, LIST)
    for number in range(19):
        tell(citizen, subject=f"Message {number}")
    assert count_queries(citizen_client, LIST) == one


def test_menu_shows_the_unread_count_with_one_count_query(citizen, citizen_client):
    assert "Mes notifications</a>" in citizen_client.get("/compte/").content.decode()
    tell(citizen)
    tell(citizen)
    with CaptureQueriesContext(connection) as queries:
        content = citizen_client.get("/compte/").content.decode()
    assert 'Mes notifications (2 non lues)</a>' in content
    counts = [query["sql"] for query in queries if '"notifications_notification"' in query["sql"]]
    assert len(counts) == 1 and "COUNT(" in counts[0].upper()


def test_agents_have_their_own_notifications(organisation, agent, agent_client, citizen):
    other_agent = make_agent(organisation, email="collegue@example.org")
    mine = tell(agent, subject="Pour l'agent")
    theirs = tell(other_agent, subject="Pour le collègue")
    tell(citizen, subject="Pour l'usager")
    response = agent_client.get(AGENT_LIST)
    content = html.unescape(main_of(response))
    assert "Pour l'agent" in content and "Pour le collègue" not in content and "Pour l'usager" not in content
    assert 'Mes notifications (1 non lue)</a>' in response.content.decode()
    assert agent_client.get(f"{AGENT_LIST}{theirs.pk}/").status_code == 404
    assert agent_client.get(f"{LIST}{mine.pk}/").status_code == 403
    assert "<h1>Pour l&#x27;agent</h1>" in main_of(agent_client.get(f"{AGENT_LIST}{mine.pk}/"))
    mine.refresh_from_db()
    assert mine.read_at is not None
    tell(agent)
    assert agent_client.post(AGENT_MARK_ALL).url == AGENT_LIST
    assert not Notification.objects.filter(recipient=agent, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_agent_list_query_count_is_constant(agent, agent_client):
    tell(agent)
    one = count_queries(agent_client, AGENT_LIST)
    for number in range(19):
        tell(agent, subject=f"Message {number}")
    assert count_queries(agent_client, AGENT_LIST) == one


def confirmation_path(user):
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/compte/confirmer/{uidb64}/{email_confirmation_token.make_token(user)}/"


@pytest.mark.parametrize("preferred_channel", ["email", "sms"])
def test_confirming_the_address_welcomes_the_citizen_once(organisation, anonymous_client, preferred_channel):
    user = make_citizen(organisation, email="lea@example.org", first_name="Léa", last_name="Durand", civility="mme",
                        email_confirmed=False, phone="06 12 34 56 78", preferred_channel=preferred_channel)
    path = confirmation_path(user)
    response = anonymous_client.get(path)
    assert response.status_code == 302 and response.url == "/compte/"
    welcome = Notification.objects.get(recipient=user)
    assert welcome.key == "account.welcome" and welcome.organisation == organisation
    assert welcome.link == "http://saint-aubin.localhost/compte/"
    assert welcome.subject == "Bienvenue sur le guichet de Saint-Aubin"
    assert "Madame Durand," in welcome.body
    delivery = Delivery.objects.get(notification=welcome)
    assert (delivery.channel, delivery.status) == (preferred_channel, Delivery.Status.QUEUED)
    assert delivery.address == {"email": "lea@example.org", "sms": "+33612345678"}[preferred_channel]

    # The citizen sees it in « Mes notifications »; following the link again welcomes nobody twice.
    assert "Bienvenue sur le guichet de Saint-Aubin" in main_of(anonymous_client.get(LIST))
    anonymous_client.get(path)
    assert Notification.objects.filter(recipient=user).count() == 1


def test_a_forged_confirmation_link_welcomes_nobody(organisation, anonymous_client):
    user = make_citizen(organisation, email="lea@example.org", email_confirmed=False)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    assert anonymous_client.get(f"/compte/confirmer/{uid}/faux-jeton/").status_code == 400
    assert not Notification.objects.exists() and not Delivery.objects.exists()
