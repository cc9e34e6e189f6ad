"""Bulk actions of the queue: assign, change status through the workflow, write to the citizens; forged ids,
other services' and other collectivités' requests are left out; bad input explained, nothing done."""

import html

import pytest

from guichet.notifications.models import Notification
from guichet.queues import services
from guichet.service_requests.models import RequestEvent, ServiceRequest
from tests.conftest import client_for, make_citizen

from .conftest import days, new_request

BULK = "/agents/files/lot/"


def text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def three(version, citizen):
    return [new_request(version, citizen, deadline=days(n)) for n in range(3)]


def post(client, ids, action, follow=True, **fields):
    return client.post(BULK, {"requests": [str(pk) for pk in ids], "action": action,
                              "next": "channel=web&page=1", **fields}, follow=follow)


def test_a_bulk_form_with_a_checkbox_per_row(organisation, agent, three):
    page = text(client_for(organisation, agent).get("/agents/demandes/"))
    for item in three:
        assert f'<input type="checkbox" name="requests" value="{item.pk}" id="choisir-{item.pk}">' in page
        assert f"Cocher la demande {item.tracking_code}" in page
    assert "Agir sur les demandes cochées" in page and '<option value="instruire">Instruire</option>' in page
    # A button that needs the agent to write something is done from the request's page, not in bulk.
    assert "Demander un complément</option>" not in page


def test_assign_the_selection_to_me_to_a_colleague_then_to_nobody(organisation, agent, colleague, three):
    client = client_for(organisation, agent)
    ids = [item.pk for item in three]
    response = post(client, ids, "assign_me", follow=False)
    assert response.status_code == 302 and response["Location"] == "/agents/demandes/?channel=web"
    response = client.get(response["Location"])
    assert "3 demande(s) traitée(s)." in text(response)
    assert set(ServiceRequest.objects.filter(pk__in=ids).values_list("assigned_to", flat=True)) == {agent.pk}
    response = post(client, ids, "assign", assignee=str(colleague.pk))
    assert "3 demande(s) traitée(s)." in text(response)
    assert Notification.objects.filter(recipient=colleague, key="message.free").count() == 3
    three[0].refresh_from_db()
    services.assign(three[0], agent, None)
    response = post(client, ids, "unassign")
    page = text(response)
    assert "2 demande(s) traitée(s). 1 ignorée(s) : " in page
    assert f"{three[0].tracking_code} (La demande n'est attribuée à personne.)" in page
    assert RequestEvent.objects.filter(request_id__in=ids, kind=RequestEvent.Kind.ASSIGNED).count() == 9


def test_change_status_where_the_button_is_available_and_list_the_others(organisation, agent, three):
    client = client_for(organisation, agent)
    from guichet.workflows import engine

    engine.press(three[0], "instruire", agent)
    response = post(client, [item.pk for item in three], "press", button="instruire")
    page = text(response)
    assert "2 demande(s) traitée(s). 1 ignorée(s) : " in page
    assert f"{three[0].tracking_code} (action indisponible dans son statut actuel)" in page
    assert set(ServiceRequest.objects.filter(pk__in=[item.pk for item in three]).values_list("status", flat=True)) \
        == {"instruction"}
    # « Classer » is for managers only: an agent's selection skips every request.
    response = post(client, [item.pk for item in three], "press", button="classer")
    assert "0 demande(s) traitée(s). 3 ignorée(s)" in text(response)


def test_write_to_the_citizens_of_the_selection(organisation, agent, version, three):
    other_citizen = make_citizen(organisation, email="autre@example.org")
    fourth = new_request(version, other_citizen, deadline=days(5))
    client = client_for(organisation, agent)
    ids = [item.pk for item in three] + [fourth.pk]
    response = post(client, ids, "message", message="Les travaux commencent lundi.")
    assert "4 demande(s) traitée(s)." in text(response)
    messages = RequestEvent.objects.filter(request_id__in=ids, kind=RequestEvent.Kind.MESSAGE_AGENT)
    assert messages.count() == 4 and {event.text for event in messages} == {"Les travaux commencent lundi."}
    assert Notification.objects.filter(recipient=other_citizen, key="request.message").count() == 1


def test_forged_ids_other_services_and_other_collectivites_are_left_out(
        organisation, other_organisation, agent, citizen, voirie_version, other_version, three):
    voirie = new_request(voirie_version, citizen, deadline=days(1))
    montclair = new_request(other_version, make_citizen(other_organisation, email="m@example.org"))
    client = client_for(organisation, agent)
    response = post(client, [three[0].pk, voirie.pk, montclair.pk, 999999, "abc", "99999999999999999999", "-3"],
                    "assign_me")
    assert response.status_code == 200
    page = text(response)
    assert "1 demande(s) traitée(s)." in page
    assert "6 demande(s) introuvable(s) ou hors de vos services, laissée(s) de côté." in page
    for item in (voirie, montclair):
        item.refresh_from_db()
        assert item.assigned_to is None
        assert not RequestEvent.objects.filter(request=item, kind=RequestEvent.Kind.ASSIGNED).exists()
    # From Montclair's host, Saint-Aubin's requests are not there either.
    admin = montclair.citizen.__class__.objects.create_user(
        "admin@montclair.example.org", "x", organisation=other_organisation, kind="agent", is_org_admin=True)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=admin, name="Application", confirmed=True)
    response = post(client_for(other_organisation, admin), [item.pk for item in three], "message", message="Pirate")
    assert "0 demande(s) traitée(s). 3 demande(s) introuvable(s)" in text(response)
    assert not RequestEvent.objects.filter(text="Pirate").exists()


def test_bad_bulk_input_is_explained_and_nothing_done(organisation, agent, three):
    client = client_for(organisation, agent)
    ids = [item.pk for item in three]
    cases = [
        ({"requests": [str(pk) for pk in ids], "action": ""}, "Action sur les demandes cochées : Ce champ est obligatoire"),
        ({"requests": [str(pk) for pk in ids], "action": "supprimer"}, "Sélectionnez un choix valide"),
        ({"requests": [str(pk) for pk in ids], "action": "assign"},
         "Collègue : Choisissez le collègue à qui attribuer les demandes."),
        ({"requests": [str(pk) for pk in ids], "action": "press"},
         "Action du circuit : Choisissez l'action du circuit à effectuer."),
        ({"requests": [str(pk) for pk in ids], "action": "message", "message": "   "},
         "Message aux usagers : Écrivez le message à envoyer aux usagers."),
        ({"action": "assign_me"}, "Cochez au moins une demande dans la liste."),
        ({"requests": [str(pk) for pk in ids], "action": "assign", "assignee": "424242"}, "Sélectionnez un choix valide"),
    ]
    for data, error in cases:
        response = client.post(BULK, {"next": "", **data})
        assert response.status_code == 400, data
        page = text(response)
        assert error in page, data
        if "requests" in data:  # the ticks are kept
            assert f'value="{ids[0]}" id="choisir-{ids[0]}" checked' in page
    assert not RequestEvent.objects.filter(request_id__in=ids, kind__in=[
        RequestEvent.Kind.ASSIGNED, RequestEvent.Kind.MESSAGE_AGENT]).exists()
    # Too many at once.
    response = client.post(BULK, {"requests": [str(n) for n in range(services.BULK_MAX + 1)], "action": "assign_me"})
    assert response.status_code == 400 and "Sélectionnez au plus 200 demandes à la fois." in text(response)


def test_citizens_and_visitors_cannot_post_bulk_actions(organisation, citizen, three):
    assert client_for(organisation, citizen).post(BULK, {"requests": [three[0].pk], "action": "assign_me"}).status_code == 403
    assert client_for(organisation).post(BULK, {"requests": [three[0].pk], "action": "assign_me"}).status_code == 302
    three[0].refresh_from_db()
    assert three[0].assigned_to is None
