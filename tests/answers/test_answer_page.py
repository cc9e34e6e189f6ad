"""« Répondre à l'usager » on the agents' request page and the answer page: templates of the service filled in
for the request (with and without JavaScript), the channel shown, the answer delivered on the citizen's channel
(e-mail, SMS, postal letter) or to the contact address of a request without account, with attachments; bad input
and wrong users."""

import html

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.agents.models import Membership
from guichet.background.testing import run_ready_jobs
from guichet.letters.models import Letter
from guichet.notifications.models import Channel, Delivery
from guichet.service_requests.models import Attachment, RequestEvent, ServiceRequest
from guichet.workflows import engine
from tests.conftest import client_for, make_agent, make_citizen
from tests.service_requests.citizen_side import pdf
from tests.workflows.conftest import make_request

from .conftest import make_template

pytestmark = pytest.mark.django_db


def text(response):
    return html.unescape(response.content.decode())


def detail_url(service_request):
    return reverse("agent_requests:detail", args=[service_request.tracking_code])


def answer_url(service_request):
    return reverse("answers:answer", args=[service_request.tracking_code])


def press_url(service_request, button):
    return reverse("agent_requests:press", args=[service_request.tracking_code, button])


def token():
    import uuid

    return uuid.uuid4().hex


def test_the_panel_offers_the_services_and_common_templates_filled_in_for_the_request(
        organisation, started, agent, other_service, citizen):
    citizen.civility = "mme"
    citizen.save()
    own = make_template(organisation, started.service, title="Acte prêt")
    common = make_template(organisation, None, title="Accusé commun", body="Merci {{ destinataire.prenom }}.")
    make_template(organisation, other_service, title="Voirie seulement")
    make_template(organisation, started.service, title="Ancien modèle", is_active=False)
    client = client_for(organisation, agent)
    page = text(client.get(detail_url(started)))
    assert "Répondre à l'usager" in page
    assert "Aucune réponse écrite n'a encore été envoyée" in page
    assert f"La réponse partira par courriel à {citizen.email}, le moyen que l'usager a choisi." in page
    assert "Acte prêt (État civil)" in page and "Accusé commun (tous services)" in page
    assert "Voirie seulement" not in page and "Ancien modèle" not in page
    assert 'id="answer-template-bodies"' in page and "answers/answers.js" in page
    # Without JavaScript: « Utiliser ce modèle » (GET ?modele=) fills the answer with the request's values.
    picked = text(client.get(detail_url(started), {"modele": own.pk}))
    assert f"Madame Martin,\n\nVotre demande {started.tracking_code} (Acte de naissance) est traitée." in picked
    assert "Merci Camille." in text(client.get(answer_url(started), {"modele": common.pk}))
    # Another service's template cannot be picked for this request.
    other = make_template(organisation, other_service, title="Autre", body="Texte de la voirie")
    assert "Texte de la voirie" not in text(client.get(detail_url(started), {"modele": other.pk}))


def test_sending_the_answer_by_email_with_a_file(organisation, started, agent, citizen):
    client = client_for(organisation, agent)
    mail.outbox.clear()
    response = client.post(answer_url(started), {
        "message": "Votre acte est joint à ce message.", "files": [pdf("acte.pdf")], "token": token(),
    })
    assert response.status_code == 302 and response["Location"] == detail_url(started)
    started.refresh_from_db()
    assert started.answered_at is not None
    answer = RequestEvent.objects.get(request=started, kind=RequestEvent.Kind.ANSWER)
    attachment = Attachment.objects.get(request=started)
    assert answer.text == "Votre acte est joint à ce message." and answer.actor == agent
    assert answer.visible_to_citizen and answer.data["attachments"] == [attachment.pk]
    assert attachment.source == Attachment.Source.AGENT and attachment.original_name == "acte.pdf"
    run_ready_jobs()
    sent = [m for m in mail.outbox if m.to == [citizen.email]]
    assert len(sent) == 1 and "Votre acte est joint à ce message." in sent[0].body
    assert started.tracking_code in sent[0].subject
    page = text(client.get(detail_url(started)))
    assert "La réponse écrite est envoyée à l'usager." in page and "Réponse écrite envoyée le" in page
    # The citizen reads it on their request page.
    assert "Votre acte est joint à ce message." in text(client_for(organisation, citizen).get(
        f"/demandes/{started.tracking_code}/"))


def test_the_answer_goes_by_sms_to_a_citizen_who_prefers_it(organisation, service, version, agent, settings, tmp_path):
    settings.GUICHET_SMS_FILE_PATH = tmp_path / "sms"
    citizen = make_citizen(organisation, email="sms@example.org", phone="+33612345678",
                           preferred_channel=Channel.SMS)
    service_request = make_request(version, citizen)
    engine.start(service_request, None)
    client = client_for(organisation, agent)
    assert "La réponse partira par SMS au +33612345678, le moyen que l'usager a choisi." in text(
        client.get(detail_url(service_request)))
    client.post(answer_url(service_request), {"message": "Votre acte est prêt.", "token": token()})
    run_ready_jobs()
    delivery = Delivery.objects.get(notification__recipient=citizen, notification__key="request.answer")
    assert (delivery.channel, delivery.status) == (Channel.SMS, Delivery.Status.SENT)
    assert "Votre acte est prêt." in delivery.content
    assert any("Votre acte est prêt." in path.read_text() for path in (tmp_path / "sms").iterdir())


def test_the_answer_goes_by_letter_to_a_citizen_who_prefers_it(organisation, version, agent):
    citizen = make_citizen(organisation, email="courrier@example.org", preferred_channel=Channel.LETTER,
                           civility="m", address_line="3 rue des Lilas", postcode="54470", city="Saint-Aubin")
    service_request = make_request(version, citizen)
    engine.start(service_request, None)
    client = client_for(organisation, agent)
    page = text(client.get(detail_url(service_request)))
    assert "La réponse partira par courrier postal à" in page and "3 rue des Lilas" in page
    client.post(answer_url(service_request), {"message": "Votre acte vous est adressé.", "token": token()})
    run_ready_jobs()
    delivery = Delivery.objects.get(notification__recipient=citizen, notification__key="request.answer")
    assert delivery.channel == Channel.LETTER and "Votre acte vous est adressé." in delivery.content
    assert Letter.objects.filter(delivery=delivery).exists()  # in the day's batch for the mail room


def test_a_citizen_without_any_address_is_told_on_the_page(organisation, version, agent):
    from guichet.accounts.models import User

    citizen = make_citizen(organisation, email="sans@example.org")
    User.objects.filter(pk=citizen.pk).update(email="")
    service_request = make_request(version, User.objects.get(pk=citizen.pk))
    engine.start(service_request, None)
    page = text(client_for(organisation, agent).get(detail_url(service_request)))
    assert "L'usager n'a ni courriel, ni téléphone, ni adresse postale" in page


def test_a_request_without_account_is_answered_at_its_contact_address(organisation, version, agent):
    service_request = make_request(version, None, contact_name="Alex Dupont", contact_email="alex@example.org")
    engine.start(service_request, None)
    template = make_template(organisation, None, title="Commun", body="{{ destinataire.nom }}, c'est fait.")
    client = client_for(organisation, agent)
    page = text(client.get(detail_url(service_request), {"modele": template.pk}))
    assert "à l'adresse de contact alex@example.org (demande sans compte)" in page
    assert "Alex Dupont, c'est fait." in page
    mail.outbox.clear()
    client.post(answer_url(service_request), {"message": "Alex Dupont, c'est fait.", "token": token()})
    run_ready_jobs()
    assert [m.to for m in mail.outbox] == [["alex@example.org"]]
    assert "Alex Dupont, c'est fait." in mail.outbox[0].body
    assert ServiceRequest.objects.get(pk=service_request.pk).answered_at is not None


def test_an_empty_answer_or_a_refused_file_is_refused_in_french_and_nothing_is_recorded(organisation, started, agent):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(organisation, agent)
    events = RequestEvent.objects.filter(request=started).count()
    response = client.post(answer_url(started), {"message": "   ", "token": token()})
    assert response.status_code == 400
    assert "Écrivez un message ou joignez un fichier." in text(response)
    executable = SimpleUploadedFile("virus.exe", b"MZ\x90\x00" * 10, content_type="application/octet-stream")
    response = client.post(answer_url(started), {"message": "Voici.", "files": [executable], "token": token()})
    assert response.status_code == 400 and "virus.exe" in text(response)
    assert "Voici." in text(response)  # what the agent wrote is kept
    response = client.post(answer_url(started), {"message": "x" * 5001, "token": token()})
    assert response.status_code == 400 and "trop long" in text(response)
    started.refresh_from_db()
    assert started.answered_at is None and not Attachment.objects.filter(request=started).exists()
    assert RequestEvent.objects.filter(request=started).exclude(kind="viewed").count() == events


def test_a_double_post_sends_the_answer_once(organisation, started, agent):
    client = client_for(organisation, agent)
    data = {"message": "Votre acte est prêt.", "token": token()}
    assert client.post(answer_url(started), data).status_code == 302
    assert client.post(answer_url(started), data).status_code == 302
    assert RequestEvent.objects.filter(request=started, kind=RequestEvent.Kind.ANSWER).count() == 1


def test_an_elected_member_reads_but_does_not_answer(organisation, service, started):
    elected = make_agent(organisation, email="elu@example.org", services=[service], role=Membership.Role.ELECTED)
    client = client_for(organisation, elected)
    response = client.post(answer_url(started), {"message": "Réponse", "token": token()})
    assert response.status_code in (403, 404)
    assert not RequestEvent.objects.filter(request=started, kind=RequestEvent.Kind.ANSWER).exists()


def test_an_agent_of_another_service_cannot_answer(organisation, started, other_service):
    outsider = make_agent(organisation, email="voirie@example.org", services=[other_service])
    client = client_for(organisation, outsider)
    assert client.get(answer_url(started)).status_code == 404
    assert client.post(answer_url(started), {"message": "Réponse", "token": token()}).status_code == 404
    assert not RequestEvent.objects.filter(request=started, kind=RequestEvent.Kind.ANSWER).exists()


def test_a_citizen_cannot_reach_the_answer_page(organisation, started, citizen):
    response = client_for(organisation, citizen).post(answer_url(started), {"message": "x", "token": token()})
    assert response.status_code == 403


# --- buttons that close the request -------------------------------------------------------------------


def test_a_closing_button_asks_for_the_answer_and_refuses_without_it(organisation, started, agent):
    make_template(organisation, started.service, title="Acte prêt")
    client = client_for(organisation, agent)
    page = client.get(detail_url(started))
    forms = dict((button.id, form) for button, form in page.context["buttons"])
    assert forms["accepter"].fields["reponse"].help_text.startswith("Obligatoire")
    assert forms["delivrer"].fields["reponse"].help_text.startswith("Facultatif")
    assert "reponse" not in forms["completer"].fields and "reponse" not in forms["noter"].fields
    before = RequestEvent.objects.filter(request=started).exclude(kind="viewed").count()
    response = client.post(press_url(started, "accepter"), {"bouton-accepter-lock_version": started.lock_version})
    assert response.status_code == 400
    assert "Écrivez la réponse à l'usager ou choisissez un modèle : cette action clôt la demande." in text(response)
    started.refresh_from_db()
    assert started.status == "recue"
    assert RequestEvent.objects.filter(request=started).exclude(kind="viewed").count() == before


def test_a_closing_button_sends_the_chosen_template_with_the_action(organisation, started, agent):
    template = make_template(organisation, started.service, title="Acte prêt")
    client = client_for(organisation, agent)
    mail.outbox.clear()
    response = client.post(press_url(started, "accepter"), {
        "bouton-accepter-lock_version": started.lock_version, "bouton-accepter-reponse_modele": template.pk,
    })
    assert response.status_code == 302
    started.refresh_from_db()
    assert started.status == "acceptee" and started.answered_at
    answer = RequestEvent.objects.get(request=started, kind=RequestEvent.Kind.ANSWER)
    assert answer.text == f"Bonjour,\n\nVotre demande {started.tracking_code} (Acte de naissance) est traitée."
    kinds = list(RequestEvent.objects.filter(request=started).order_by("at", "pk").values_list("kind", flat=True))
    assert kinds.index("answer") < kinds.index("note") < len(kinds)  # the answer, then the button's actions
    run_ready_jobs()
    assert any(started.tracking_code in m.body and "est traitée" in m.body for m in mail.outbox)


def test_the_agents_own_text_wins_over_the_template(organisation, started, agent):
    template = make_template(organisation, started.service)
    client_for(organisation, agent).post(press_url(started, "accepter"), {
        "bouton-accepter-lock_version": started.lock_version, "bouton-accepter-reponse_modele": template.pk,
        "bouton-accepter-reponse": "Texte adapté par l'agent.",
    })
    assert RequestEvent.objects.get(request=started, kind="answer").text == "Texte adapté par l'agent."


def test_another_services_template_is_refused_in_a_button(organisation, started, agent, other_service):
    other = make_template(organisation, other_service)
    response = client_for(organisation, agent).post(press_url(started, "accepter"), {
        "bouton-accepter-lock_version": started.lock_version, "bouton-accepter-reponse_modele": other.pk,
    })
    assert response.status_code == 400
    assert "Ce modèle n'est pas disponible pour cette demande." in text(response)
    assert ServiceRequest.objects.get(pk=started.pk).status == "recue"


def test_a_stale_closing_button_sends_no_answer(organisation, started, agent):
    client = client_for(organisation, agent)
    stale = started.lock_version
    engine.press(started, "noter", agent, form_data={"note": "Appel"})
    response = client.post(press_url(started, "accepter"), {
        "bouton-accepter-lock_version": stale, "bouton-accepter-reponse": "Votre acte est prêt.",
    }, follow=True)
    assert "La demande a changé entre-temps" in text(response)
    assert not RequestEvent.objects.filter(request=started, kind="answer").exists()
    assert ServiceRequest.objects.get(pk=started.pk).answered_at is None


def test_a_refused_closing_button_gives_back_the_typed_answer(organisation, started, agent):
    client = client_for(organisation, agent)
    stale = started.lock_version
    engine.press(started, "noter", agent, form_data={"note": "Appel"})
    typed = "Votre acte est prêt, passez le chercher en mairie."
    response = client.post(press_url(started, "accepter"), {
        "bouton-accepter-lock_version": stale, "bouton-accepter-reponse": typed,
    })
    assert response.status_code == 409
    page = text(response)
    assert "La demande a changé entre-temps" in page and typed in page
    form = dict((button.id, form) for button, form in response.context["buttons"])["accepter"]
    current = ServiceRequest.objects.get(pk=started.pk)
    assert int(form["lock_version"].value()) == current.lock_version
    assert not RequestEvent.objects.filter(request=started, kind="answer").exists()
    # Sent again from the page given back, against the request's current state: it goes through.
    response = client.post(press_url(started, "accepter"), {
        "bouton-accepter-lock_version": form["lock_version"].value(), "bouton-accepter-reponse": typed,
    })
    assert response.status_code == 302
    assert RequestEvent.objects.get(request=started, kind="answer").text == typed
    assert ServiceRequest.objects.get(pk=started.pk).status == "acceptee"


def test_once_answered_the_closing_button_asks_nothing_more(organisation, started, agent):
    client = client_for(organisation, agent)
    client.post(answer_url(started), {"message": "Votre acte est prêt.", "token": token()})
    forms = dict((button.id, form) for button, form in client.get(detail_url(started)).context["buttons"])
    assert "reponse" not in forms["accepter"].fields
    assert client.post(press_url(started, "accepter"), {
        "bouton-accepter-lock_version": ServiceRequest.objects.get(pk=started.pk).lock_version}).status_code == 302
    assert ServiceRequest.objects.get(pk=started.pk).status == "acceptee"


def test_the_request_page_runs_a_constant_number_of_queries_whatever_the_templates(organisation, started, agent):
    client = client_for(organisation, agent)
    client.get(detail_url(started))  # the « viewed » trace of this hour is written once
    counts = []
    for how_many in (1, 8):
        for index in range(how_many):
            make_template(organisation, started.service if index % 2 else None, title=f"Modèle {how_many}-{index}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail_url(started)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@pytest.fixture
def back_to_french():
    """The language a request activated stays active in this thread: the next tests are French again."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_the_panel_and_the_templates_page_in_english(organisation, started, agent, back_to_french):
    make_template(organisation, started.service, title="Acte prêt")
    client = client_for(organisation, agent)
    client.post("/i18n/setlang/", {"language": "en", "next": "/agents/"})
    page = text(client.get(detail_url(started)))
    for wording in ("Answer the citizen", "No written answer has been sent yet", "Use this template",
                    "Send the answer", "the way the citizen chose", "Written answer to the citizen"):
        assert wording in page, wording
    listing = text(client.get(reverse("answers:list")))
    assert "Answer templates of your services" in listing and "Acte prêt" in listing
