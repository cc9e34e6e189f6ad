"""process_mail: a message quoting its request's tracking code joins it; anything else waits to be qualified."""

import pytest

from guichet.mailroom.models import IncomingMail
from guichet.mailroom.services import process_mail, quoted_codes, search_mail
from guichet.search.services import search_requests
from guichet.service_requests.models import Attachment, RequestEvent
from tests.conftest import make_agent, make_citizen, make_service
from tests.mailroom.conftest import PDF, verified
from tests.workflows.conftest import make_request, make_version

pytestmark = pytest.mark.django_db


def spaced(code):
    """`RQ-7K4M-2P9X` as a citizen may write it: « rq 7k4m 2p9x »."""
    return code.lower().replace("-", " ")


def test_codes_are_read_however_they_are_written(service_request):
    code = service_request.tracking_code
    compact = code.replace("-", "")
    assert quoted_codes(f"Dossier {spaced(code)} merci") == [code]
    assert quoted_codes(f"Réf. {compact}.") == [code]
    assert quoted_codes(f"dossier n°{code[3:]}") == [code]
    assert quoted_codes("RQ-AAAA-AAAA n'est pas un code valide, ni BONJOUR-TOUS") == []


def test_code_in_subject_with_spaces_attaches_to_the_request(make_mail, service_request, citizen, agent):
    mail = make_mail(subject=f"Re: dossier {spaced(service_request.tracking_code)}", body="Voici le justificatif.",
                     sender_email="Camille.Martin@Example.org",
                     files=[("justificatif.pdf", PDF, "application/pdf", ""),
                            ("virus.exe", b"MZ", "application/octet-stream", "Type de fichier dangereux")])
    process_mail(mail)
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.ATTACHED
    assert mail.request == service_request and mail.citizen == citizen
    message = RequestEvent.objects.get(request=service_request, kind=RequestEvent.Kind.MESSAGE_CITIZEN)
    assert message.actor == citizen and "Voici le justificatif." in message.text
    received = RequestEvent.objects.get(request=service_request, kind=RequestEvent.Kind.MAIL_RECEIVED)
    assert received.data["registry_number"] == mail.registry_number
    attachment = Attachment.objects.get(request=service_request)
    assert attachment.original_name == "justificatif.pdf" and message.data["attachments"] == [attachment.pk]
    assert attachment.file.read() == PDF
    # The service is told as for any citizen message (a notification traced in the timeline).
    assert RequestEvent.objects.filter(request=service_request, kind=RequestEvent.Kind.NOTIFICATION).exists()
    # Its text is found by the back office's search.
    assert list(search_requests(verified(agent), service_request.organisation, "justificatif")) == [service_request]


def test_contact_email_of_a_request_without_account_counts_as_its_citizen(make_mail, version):
    service_request = make_request(version, None, contact_name="Alex Dupont", contact_email="alex@example.org")
    mail = make_mail(sender_email="alex@example.org", subject="Question", body=f"Au sujet de {service_request.tracking_code}")
    process_mail(mail)
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.ATTACHED and mail.request == service_request
    assert mail.citizen is None


def test_other_collectivites_code_waits_to_be_qualified(make_mail, other_organisation):
    other_version = make_version(other_organisation, make_service(other_organisation), slug="autre")
    foreign = make_request(other_version, make_citizen(other_organisation))
    mail = make_mail(subject=f"Dossier {foreign.tracking_code}")
    process_mail(mail)
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.TO_QUALIFY
    assert mail.request is None and mail.suggested_request is None
    assert not RequestEvent.objects.filter(request=foreign, kind=RequestEvent.Kind.MESSAGE_CITIZEN).exists()


def test_sender_mismatch_waits_with_the_request_suggested(make_mail, service_request):
    mail = make_mail(sender_email="quelquun@example.net", subject=f"Dossier {service_request.tracking_code}")
    process_mail(mail)
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.TO_QUALIFY
    assert mail.suggested_request == service_request and mail.request is None
    assert "n'est pas le demandeur" in mail.processing_error
    assert not RequestEvent.objects.filter(request=service_request, kind=RequestEvent.Kind.MESSAGE_CITIZEN).exists()


def test_no_code_waits_and_finds_the_citizen_by_address(make_mail, citizen):
    mail = make_mail(subject="Une question", body="Sans numéro.")
    process_mail(mail)
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.TO_QUALIFY and mail.citizen == citizen


def test_citizen_of_another_collectivite_is_not_matched(make_mail, other_organisation):
    make_citizen(other_organisation, email="voisin@example.org")
    mail = make_mail(sender_email="voisin@example.org")
    process_mail(mail)
    mail.refresh_from_db()
    assert mail.citizen is None


def test_processing_twice_adds_the_message_once(make_mail, service_request):
    mail = make_mail(subject=service_request.tracking_code)
    process_mail(mail)
    process_mail(mail)
    again = IncomingMail.objects.get(pk=mail.pk)
    process_mail(again)
    assert RequestEvent.objects.filter(request=service_request, kind=RequestEvent.Kind.MESSAGE_CITIZEN).count() == 1
    assert RequestEvent.objects.filter(request=service_request, kind=RequestEvent.Kind.MAIL_RECEIVED).count() == 1


def test_closed_request_takes_no_message_the_mail_waits(make_mail, service_request):
    from django.utils import timezone

    service_request.closed_at = timezone.now()
    service_request.save()
    mail = make_mail(subject=service_request.tracking_code)
    process_mail(mail)
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.TO_QUALIFY and mail.suggested_request == service_request
    assert "close" in mail.processing_error
    assert not Attachment.objects.filter(request=service_request).exists()


def test_letter_quoting_code_and_name_is_attached(make_mail, service_request):
    letter = make_mail(channel=IncomingMail.Channel.POSTAL, sender_email="", sender_name="", subject="",
                       body="", ocr_text=f"Madame, Monsieur, je complète le dossier {service_request.tracking_code}.\n"
                                         "Camille MARTIN", files=[("lettre.pdf", PDF, "application/pdf", "")])
    process_mail(letter)
    letter.refresh_from_db()
    assert letter.state == IncomingMail.State.ATTACHED and letter.request == service_request
    assert letter.citizen == service_request.citizen


def test_letter_quoting_code_under_another_name_waits(make_mail, service_request):
    letter = make_mail(channel=IncomingMail.Channel.POSTAL, sender_email="", sender_name="Jean Durand",
                       subject="", body="", ocr_text=f"Dossier {service_request.tracking_code}. Jean Durand")
    process_mail(letter)
    letter.refresh_from_db()
    assert letter.state == IncomingMail.State.TO_QUALIFY and letter.suggested_request == service_request


def test_search_mail_finds_words_of_the_ocr_text_and_the_registry_number(make_mail, organisation, other_organisation):
    letter = make_mail(channel=IncomingMail.Channel.POSTAL, sender_email="", sender_name="Jean Durand", subject="",
                       body="", ocr_text="Les lampadaires de la rue des Écoles sont éteints.")
    email = make_mail(subject="Poubelles", body="Les poubelles ne sont pas ramassées.")
    foreign = make_mail(organisation=other_organisation, subject="Lampadaires", body="lampadaire éteint")
    for mail in (letter, email, foreign):
        process_mail(mail)
    assert list(search_mail(organisation, "lampadaire ecoles")) == [letter]
    assert list(search_mail(organisation, "durand")) == [letter]
    assert list(search_mail(organisation, "ramassees")) == [email]
    assert list(search_mail(organisation, email.registry_number)) == [email]
    assert list(search_mail(organisation, "lampadaires", states=[IncomingMail.State.FILED])) == []
    assert list(search_mail(organisation, "   ")) == []
    assert list(search_mail(other_organisation, "lampadaires")) == [foreign]
