"""The to-qualify queue and a message's page: filters, search, downloads, who may see what."""

import pytest

from guichet.mailroom.models import IncomingMail
from guichet.mailroom.services import process_mail
from tests.conftest import client_for, make_agent, make_service
from tests.mailroom.conftest import PDF

pytestmark = pytest.mark.django_db
LIST = "/agents/courrier-entrant/"


def html(response):
    import html as html_module

    return html_module.unescape(response.content.decode())


def queued(make_mail, **fields):
    mail = make_mail(**fields)
    process_mail(mail)
    mail.refresh_from_db()
    return mail


def test_queue_shows_messages_to_qualify_by_default(make_mail, agent):
    waiting = queued(make_mail, subject="Nid de poule rue Haute", sender_email="inconnu@example.net")
    filed = queued(make_mail, subject="Publicité", sender_email="pub@example.net")
    filed.state = IncomingMail.State.FILED
    filed.save()
    response = client_for(agent.organisation, agent).get(LIST)
    assert response.status_code == 200
    page = html(response)
    assert waiting.registry_number in page and "Nid de poule rue Haute" in page
    assert filed.registry_number not in page
    page = html(client_for(agent.organisation, agent).get(LIST, {"state": "filed"}))
    assert filed.registry_number in page and waiting.registry_number not in page
    page = html(client_for(agent.organisation, agent).get(LIST, {"state": "all"}))
    assert filed.registry_number in page and waiting.registry_number in page


def test_queue_filters_by_channel_service_agent_and_text(make_mail, agent, service, organisation):
    email = queued(make_mail, subject="Horaires", body="Quels sont les horaires de la piscine ?",
                   sender_email="a@example.net")
    letter = queued(make_mail, channel=IncomingMail.Channel.POSTAL, sender_email="", sender_name="Jean Durand",
                    subject="", body="", ocr_text="Le lampadaire devant chez moi clignote.")
    letter.service, letter.assigned_to = service, agent
    letter.save()
    client = client_for(organisation, agent)
    page = html(client.get(LIST, {"channel": "postal"}))
    assert letter.registry_number in page and email.registry_number not in page
    page = html(client.get(LIST, {"service": service.pk}))
    assert letter.registry_number in page and email.registry_number not in page
    page = html(client.get(LIST, {"assigned": "me"}))
    assert letter.registry_number in page and email.registry_number not in page
    page = html(client.get(LIST, {"assigned": "nobody"}))
    assert email.registry_number in page and letter.registry_number not in page
    page = html(client.get(LIST, {"q": "lampadaires"}))
    assert letter.registry_number in page and email.registry_number not in page
    page = html(client.get(LIST, {"q": email.registry_number}))
    assert email.registry_number in page and letter.registry_number not in page


def test_bad_filter_is_refused_in_french(agent):
    response = client_for(agent.organisation, agent).get(LIST, {"service": "999999", "q": "x" * 300})
    assert response.status_code == 400
    page = html(response)
    assert "Sélectionnez un choix valide" in page or "choix valide" in page
    assert "trop longue" in page


def test_queue_query_count_does_not_grow_with_messages(make_mail, agent, service, django_assert_max_num_queries):
    client = client_for(agent.organisation, agent)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    for index in range(3):
        queued(make_mail, subject=f"Message {index}", sender_email=f"s{index}@example.net",
               files=[("piece.pdf", PDF, "application/pdf", "")])
    few = count()
    for index in range(3, 30):
        mail = queued(make_mail, subject=f"Message {index}", sender_email=f"s{index}@example.net",
                      files=[("piece.pdf", PDF, "application/pdf", "")])
        mail.service, mail.assigned_to = service, agent
        mail.save()
    assert count() == few
    with django_assert_max_num_queries(14):
        client.get(LIST, {"q": "message", "channel": "email"})


def test_detail_shows_the_message_files_and_refused_ones(make_mail, agent, organisation,
                                                         django_assert_max_num_queries):
    mail = queued(make_mail, subject="Dossier", body="Ci-joint mon attestation.", sender_email="x@example.net",
                  files=[("attestation.pdf", PDF, "application/pdf", ""),
                         ("programme.exe", b"MZ", "application/x-msdownload", "Type de fichier dangereux")])
    client = client_for(organisation, agent)
    with django_assert_max_num_queries(20):
        response = client.get(f"{LIST}{mail.pk}/")
    assert response.status_code == 200
    page = html(response)
    assert "Ci-joint mon attestation." in page and mail.registry_number in page
    assert "programme.exe" in page and "Type de fichier dangereux" in page
    kept = mail.attachments.get(refused_reason="")
    refused = mail.attachments.exclude(refused_reason="").get()
    download = client.get(f"{LIST}pieces/{kept.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert client.get(f"{LIST}pieces/{refused.pk}/").status_code == 404
    # The original still holds the refused program: administrators only.
    assert "seul un administrateur peut le télécharger" in page and f"{mail.pk}/original/" not in page
    assert client.get(f"{LIST}{mail.pk}/original/").status_code == 404
    admin = client_for(organisation, make_agent(organisation, email="chef@example.org", is_org_admin=True))
    assert f"{mail.pk}/original/" in html(admin.get(f"{LIST}{mail.pk}/"))
    raw = admin.get(f"{LIST}{mail.pk}/original/")
    assert raw.status_code == 200 and raw["Content-Type"] == "message/rfc822"
    assert raw["Content-Disposition"].startswith("attachment")
    assert b"Subject: Dossier" in b"".join(raw.streaming_content)
    # Without refused files, the agent downloads it.
    plain = queued(make_mail, subject="Sans pièce", sender_email="y@example.net")
    assert client.get(f"{LIST}{plain.pk}/original/").status_code == 200


def test_citizens_get_403_and_visitors_are_sent_to_sign_in(make_mail, citizen, organisation):
    mail = queued(make_mail)
    item = make_mail(files=[("a.pdf", PDF, "application/pdf", "")]).attachments.get()
    for url in (LIST, f"{LIST}{mail.pk}/", f"{LIST}{mail.pk}/original/", f"{LIST}pieces/{item.pk}/"):
        assert client_for(organisation, citizen).get(url).status_code == 403
        assert client_for(organisation).get(url).status_code == 302
    response = client_for(organisation, citizen).post(f"{LIST}{mail.pk}/classer/",
                                                     {"classer-note": "x", "classer-lock_version": mail.lock_version})
    assert response.status_code == 403


def test_other_collectivites_agents_never_see_nor_download(make_mail, organisation, other_organisation):
    mail = queued(make_mail, subject="Secret de Saint-Aubin", files=[("a.pdf", PDF, "application/pdf", "")])
    item = mail.attachments.get()
    intruder = make_agent(other_organisation, email="intrus@example.org", is_org_admin=True)
    client = client_for(other_organisation, intruder)
    assert "Secret de Saint-Aubin" not in html(client.get(LIST, {"state": "all"}))
    assert mail.registry_number not in html(client.get(LIST, {"q": "secret"}))
    for url in (f"{LIST}{mail.pk}/", f"{LIST}{mail.pk}/original/", f"{LIST}pieces/{item.pk}/"):
        assert client.get(url).status_code == 404
    response = client.post(f"{LIST}{mail.pk}/classer/", {"classer-note": "vu", "classer-lock_version": 1})
    assert response.status_code == 404
    # Even signed in on Saint-Aubin's host, an agent of Montclair is not an agent there.
    assert client_for(organisation, intruder).get(f"{LIST}{mail.pk}/").status_code in (302, 403, 404)
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.TO_QUALIFY


def test_agent_of_another_service_does_not_see_a_services_message(make_mail, organisation, service, agent):
    voirie = make_service(organisation, name="Voirie", slug="voirie")
    outsider = make_agent(organisation, email="voirie@example.org", services=[voirie])
    mine = queued(make_mail, subject="Pour l'état civil")
    mine.service = service
    mine.save()
    nobodys = queued(make_mail, subject="Pour personne", sender_email="p@example.net")
    client = client_for(organisation, outsider)
    page = html(client.get(LIST))
    assert nobodys.registry_number in page and mine.registry_number not in page
    assert client.get(f"{LIST}{mine.pk}/").status_code == 404
    assert client_for(organisation, agent).get(f"{LIST}{mine.pk}/").status_code == 200
    manager = make_agent(organisation, email="admin2@example.org", is_org_admin=True)
    assert client_for(organisation, manager).get(f"{LIST}{mine.pk}/").status_code == 200


def test_the_queue_and_a_message_in_english(make_mail, agent, organisation):
    """(The catalogue is compiled by `make messages`, as for every app.)"""
    mail = queued(make_mail, subject="Bonjour", sender_email="x@example.net")
    client = client_for(organisation, agent)
    client.post("/i18n/setlang/", {"language": "en", "next": "/agents/"})
    listing = html(client.get(LIST))
    assert "Incoming mail" in listing and "To qualify (default)" in listing
    page = html(client.get(f"{LIST}{mail.pk}/"))
    for wording in ("Qualify the message", "Create a request", "Add to an existing request", "Answer directly",
                    "File for information"):
        assert wording in page, wording
