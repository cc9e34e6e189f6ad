"""The citizen's journey: start, page by page (drafts saved), conditions, summary, send, receipt."""

import datetime

from django.utils import timezone

from guichet.notifications.models import Notification
from guichet.procedures.services import deadline_for
from guichet.service_requests.models import RequestEvent, ServiceRequest
from tests.conftest import client_for, make_citizen
from tests.service_requests.conftest import fill_all, page_url, send, start, start_url


def test_start_page_explains_then_post_creates_a_prefilled_draft(citizen_client, citizen, procedure):
    response = citizen_client.get(start_url(procedure))
    assert response.status_code == 200
    assert "Commencer la démarche" in response.content.decode()
    assert not ServiceRequest.objects.exists()

    draft = start(citizen_client, procedure)
    assert draft.state == ServiceRequest.State.DRAFT
    assert draft.citizen == citizen
    assert draft.version == procedure.current_version
    assert draft.organisation == procedure.organisation
    assert draft.data == {"nom": "Martin", "prenom": "Camille"}
    assert draft.current_page == "demandeur"
    assert list(draft.events.values_list("kind", flat=True)) == ["created"]

    page = citizen_client.get(page_url(draft, "demandeur"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="Martin"' in body and "Précédent" not in body
    assert "Enregistrer et reprendre plus tard" in body


def test_a_draft_saves_each_page_and_skips_pages_whose_condition_is_false(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    response = citizen_client.post(page_url(draft, "demandeur"),
                                   {"nom": "Martin", "prenom": "Camille", "motif": "naissance", "action": "next"})
    assert response.status_code == 302
    assert response.url == page_url(draft, "pieces")  # « Votre mariage » is skipped
    draft.refresh_from_db()
    assert draft.data == {"nom": "Martin", "prenom": "Camille", "motif": "naissance"}
    assert draft.current_page == "pieces"
    # The hidden page is not reachable.
    response = citizen_client.get(page_url(draft, "mariage"))
    assert response.status_code == 302 and response.url == page_url(draft, "pieces")
    # « Précédent » goes back to the first page.
    response = citizen_client.post(page_url(draft, "pieces"), {"precisions": "", "action": "previous"})
    assert response.status_code == 302 and response.url == page_url(draft, "demandeur")


def test_choosing_marriage_shows_the_conditional_page(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    response = citizen_client.post(page_url(draft, "demandeur"),
                                   {"nom": "Martin", "prenom": "Camille", "motif": "mariage", "action": "next"})
    assert response.url == page_url(draft, "mariage")
    response = citizen_client.post(page_url(draft, "mariage"), {"date_mariage": "", "action": "next"})
    assert response.status_code == 400
    assert "Date du mariage" in response.content.decode()
    draft.refresh_from_db()
    assert "date_mariage" not in draft.data


def test_save_and_resume_later_lands_in_my_requests(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    response = citizen_client.post(page_url(draft, "demandeur"),
                                   {"nom": "Martin", "prenom": "Camille", "motif": "naissance", "action": "save"},
                                   follow=True)
    assert response.redirect_chain == [("/compte/demandes/", 302)]
    assert "Votre brouillon est enregistré" in response.content.decode()
    draft.refresh_from_db()
    assert draft.data["motif"] == "naissance"
    page = citizen_client.get("/compte/demandes/").content.decode()
    assert "Brouillon " + draft.tracking_code in page
    assert f'href="/demandes/{draft.tracking_code}/page/demandeur/"' in page


def test_bad_answers_are_refused_in_french_and_change_nothing(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    before = dict(draft.data)
    for data in [
        {"nom": "", "prenom": "Camille", "motif": "naissance"},  # required answer missing
        {"nom": "Martin", "prenom": "Camille", "motif": "deces"},  # a choice not in the list
        {"nom": "Martin", "prenom": "Camille"},  # required choice missing
    ]:
        response = citizen_client.post(page_url(draft, "demandeur"), {**data, "action": "next"})
        assert response.status_code == 400
        body = response.content.decode()
        assert "error-summary" in body
        draft.refresh_from_db()
        assert draft.data == before
        assert draft.current_page == "demandeur"


def test_forged_fields_are_ignored(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    response = citizen_client.post(page_url(draft, "demandeur"), {
        "nom": "Martin", "prenom": "Camille", "motif": "naissance", "action": "next",
        "admin": "oui", "date_mariage": "2001-01-01", "status": "acceptee", "justificatif": "12",
    })
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.data == {"nom": "Martin", "prenom": "Camille", "motif": "naissance"}
    assert draft.status == ""


def test_changing_an_earlier_answer_drops_the_answers_of_pages_now_hidden(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    fill_all(citizen_client, draft, motif="mariage")
    draft.refresh_from_db()
    assert draft.data["date_mariage"] == "2015-06-20"
    citizen_client.post(page_url(draft, "demandeur"),
                        {"nom": "Martin", "prenom": "Camille", "motif": "naissance", "action": "next"})
    draft.refresh_from_db()
    assert "date_mariage" not in draft.data
    send(citizen_client, draft)
    draft.refresh_from_db()
    assert draft.is_submitted and "date_mariage" not in draft.data


def test_summary_then_send_submits_once_with_deadline_status_event_and_receipt(citizen_client, citizen, procedure):
    draft = start(citizen_client, procedure)
    fill_all(citizen_client, draft)
    summary = citizen_client.get(f"/demandes/{draft.tracking_code}/recapitulatif/")
    body = summary.content.decode()
    assert summary.status_code == 200
    assert "Acte de naissance" in body and "Deux copies." in body and ">Envoyer<" in body

    response = send(citizen_client, draft)
    assert response.status_code == 302
    assert response.url == f"/demandes/{draft.tracking_code}/accuse-de-reception/"
    draft.refresh_from_db()
    assert draft.state == ServiceRequest.State.SUBMITTED
    assert draft.submitted_at is not None
    assert draft.deadline == deadline_for(procedure.current_version, timezone.localdate())
    assert draft.deadline == timezone.localdate() + datetime.timedelta(days=30)
    assert draft.status == "recue"
    assert draft.service == procedure.service
    kinds = list(draft.events.order_by("at", "pk").values_list("kind", flat=True))
    assert kinds[:2] == ["created", "submitted"] and "status_changed" in kinds
    assert draft.events.get(kind="submitted").visible_to_citizen
    receipts = Notification.objects.filter(recipient=citizen, key="request.receipt")
    assert receipts.count() == 1
    assert draft.tracking_code in receipts.get().subject
    assert draft.tracking_code in receipts.get().body

    page = citizen_client.get(response.url).content.decode()
    assert "Votre demande est envoyée" in page and draft.tracking_code in page
    assert "État civil" in page and "etat-civil@saint-aubin.example.org" in page and "03 83 00 20 10" in page
    assert "1 place de la Mairie" in page
    assert "ne vaut ni acceptation ni refus" in page


def test_a_double_click_on_send_makes_one_request_and_one_receipt(citizen_client, citizen, procedure):
    draft = start(citizen_client, procedure)
    fill_all(citizen_client, draft)
    first = send(citizen_client, draft)
    second = send(citizen_client, draft)
    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert ServiceRequest.objects.count() == 1
    assert ServiceRequest.objects.get().state == "submitted"
    assert RequestEvent.objects.filter(kind="submitted").count() == 1
    assert Notification.objects.filter(recipient=citizen, key="request.receipt").count() == 1
    # Pages of a sent request lead to the request, never change it.
    response = citizen_client.post(page_url(draft, "demandeur"),
                                   {"nom": "Autre", "prenom": "X", "motif": "mariage", "action": "next"})
    assert response.status_code == 302 and response.url == f"/demandes/{draft.tracking_code}/"
    draft.refresh_from_db()
    assert draft.data["nom"] == "Martin"


def test_posting_send_with_missing_answers_goes_back_to_the_first_incomplete_page(citizen_client, procedure):
    draft = start(citizen_client, procedure)  # pre-filled names, but no motif: pages skipped
    response = send(citizen_client, draft)
    assert response.status_code == 302 and response.url == page_url(draft, "demandeur")
    draft.refresh_from_db()
    assert draft.state == "draft" and draft.submitted_at is None
    assert not Notification.objects.exists()
    page = citizen_client.get(response.url).content.decode()
    assert "Il manque des réponses obligatoires sur la page « Vous »" in page
    # The summary says so too and offers no « Envoyer » button.
    summary = citizen_client.get(f"/demandes/{draft.tracking_code}/recapitulatif/").content.decode()
    assert "Votre demande n'est pas complète" in summary and ">Envoyer<" not in summary


def test_a_conditional_page_skipped_by_posting_the_summary_is_caught(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    citizen_client.post(page_url(draft, "demandeur"),
                        {"nom": "Martin", "prenom": "Camille", "motif": "mariage", "action": "next"})
    response = send(citizen_client, draft)  # the « Votre mariage » page never filled
    assert response.url == page_url(draft, "mariage")
    draft.refresh_from_db()
    assert draft.is_draft


def test_send_only_accepts_post(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    fill_all(citizen_client, draft)
    assert citizen_client.get(f"/demandes/{draft.tracking_code}/envoyer/").status_code == 405
    draft.refresh_from_db()
    assert draft.is_draft


def test_deleting_a_draft(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    assert citizen_client.get(f"/demandes/{draft.tracking_code}/supprimer/").status_code == 200
    response = citizen_client.post(f"/demandes/{draft.tracking_code}/supprimer/")
    assert response.status_code == 302 and response.url == "/compte/demandes/"
    assert not ServiceRequest.objects.exists()


def test_a_submitted_request_cannot_be_deleted(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    fill_all(citizen_client, draft)
    send(citizen_client, draft)
    response = citizen_client.post(f"/demandes/{draft.tracking_code}/supprimer/")
    assert response.status_code == 302 and response.url == f"/demandes/{draft.tracking_code}/"
    assert ServiceRequest.objects.filter(state="submitted").count() == 1


def test_each_citizen_has_their_own_drafts(organisation, citizen_client, procedure):
    other = make_citizen(organisation, email="dominique@example.org", first_name="Dominique", last_name="Petit")
    other_client = client_for(organisation, other)
    draft = start(citizen_client, procedure)
    fill_all(citizen_client, draft)
    for url in [page_url(draft, "demandeur"), f"/demandes/{draft.tracking_code}/recapitulatif/",
                f"/demandes/{draft.tracking_code}/", f"/demandes/{draft.tracking_code}/supprimer/"]:
        assert other_client.get(url).status_code == 404, url
    assert other_client.post(page_url(draft, "demandeur"),
                             {"nom": "Pirate", "prenom": "X", "motif": "naissance"}).status_code == 404
    assert other_client.post(f"/demandes/{draft.tracking_code}/envoyer/").status_code == 404
    assert other_client.post(f"/demandes/{draft.tracking_code}/supprimer/").status_code == 404
    draft.refresh_from_db()
    assert draft.is_draft and draft.data["nom"] == "Martin"
    # Nor is it visible to anonymous visitors.
    assert client_for(organisation).get(page_url(draft, "demandeur")).status_code == 404


def test_other_collectivites_never_see_a_request(organisation, other_organisation, citizen_client, citizen,
                                                 procedure):
    draft = start(citizen_client, procedure)
    fill_all(citizen_client, draft)
    send(citizen_client, draft)
    # The same session on Montclair's host: the citizen is anonymous there, the request unknown.
    citizen_client.defaults["HTTP_HOST"] = f"{other_organisation.slug}.localhost"
    for url in [f"/demandes/{draft.tracking_code}/", f"/demandes/{draft.tracking_code}/accuse-de-reception.pdf",
                page_url(draft, "demandeur"), f"/demarches/{procedure.slug}/commencer/"]:
        assert citizen_client.get(url).status_code in (302, 404), url
        assert citizen_client.get(url).status_code != 200
    montclair_citizen = make_citizen(other_organisation, email=citizen.email)
    montclair = client_for(other_organisation, montclair_citizen)
    assert montclair.get(f"/demandes/{draft.tracking_code}/").status_code == 404
    assert montclair.get(f"/demarches/{procedure.slug}/commencer/").status_code == 404


def test_unknown_or_malformed_codes_are_404(citizen_client, procedure):
    for code in ["RQ-0000-0000", "n-importe-quoi", "RQ-7K4M-2P9X"]:
        assert citizen_client.get(f"/demandes/{code}/").status_code == 404
    assert citizen_client.get("/demarches/inconnue/commencer/").status_code == 404


def test_an_unpublished_procedure_cannot_be_started(organisation, service, citizen_client):
    from tests.service_requests.conftest import make_procedure

    draft_procedure = make_procedure(organisation, service, slug="brouillon", publish=False)
    assert citizen_client.get(start_url(draft_procedure)).status_code == 404
    assert citizen_client.post(start_url(draft_procedure)).status_code == 404
    assert not ServiceRequest.objects.exists()


def test_unknown_page_is_404(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    assert citizen_client.get(page_url(draft, "inexistante")).status_code == 404


def test_posting_a_page_hidden_by_a_condition_changes_nothing(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    citizen_client.post(page_url(draft, "demandeur"),
                        {"nom": "Martin", "prenom": "Camille", "motif": "naissance", "action": "next"})
    response = citizen_client.post(page_url(draft, "mariage"), {"date_mariage": "2015-06-20", "action": "next"})
    assert response.status_code == 302 and response.url == page_url(draft, "pieces")
    draft.refresh_from_db()
    assert "date_mariage" not in draft.data
