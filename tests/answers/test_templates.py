"""Answer templates (/agents/reponses/): administrators manage every one, a service manager those of their
service, a plain agent reads those of their services and the common ones; the text is checked like message
templates (unknown variable, syntax error refused in French); another service's or collectivité's template is
a 404."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.agents.models import Membership
from guichet.answers import services
from guichet.answers.models import AnswerTemplate
from tests.conftest import client_for, make_agent, make_service

from .conftest import make_template

pytestmark = pytest.mark.django_db
LIST = "/agents/reponses/"
CREATE = "/agents/reponses/nouveau/"


def text(response):
    return html.unescape(response.content.decode())


def edit_url(template):
    return reverse("answers:edit", args=[template.pk])


def toggle_url(template):
    return reverse("answers:toggle", args=[template.pk])


def test_the_urls():
    assert reverse("answers:list") == LIST and reverse("answers:create") == CREATE


def test_an_administrator_creates_a_common_template(organisation, org_admin):
    client = client_for(organisation, org_admin)
    page = text(client.get(CREATE))
    assert "Tous les services (modèle commun)" in page and "{{ demande.code }}" in page
    response = client.post(CREATE, {"title": "  Accusé   de réception ", "service": "",
                                    "body": "Bonjour {{ destinataire.prenom }}, nous traitons {{ demande.code }}."})
    assert response.status_code == 302 and response["Location"] == LIST
    template = AnswerTemplate.objects.get()
    assert (template.organisation, template.service, template.title) == (organisation, None, "Accusé de réception")
    assert template.updated_by == org_admin and template.is_active
    listing = text(client.get(LIST))
    assert "Le modèle « Accusé de réception » est enregistré." in listing and "Tous les services" in listing


def test_a_manager_creates_and_edits_the_templates_of_their_service_only(organisation, service, manager,
                                                                        other_service):
    client = client_for(organisation, manager)
    form_page = client.get(CREATE)
    choices = [str(label) for _value, label in form_page.context["form"].fields["service"].choices]
    assert choices == [service.name]  # neither « every service » nor another service
    assert client.post(CREATE, {"title": "Acte prêt", "service": service.pk, "body": "Votre acte est prêt."}
                       ).status_code == 302
    template = AnswerTemplate.objects.get(title="Acte prêt")
    assert template.service == service
    for forbidden in ("", other_service.pk):
        response = client.post(CREATE, {"title": "Pirate", "service": forbidden, "body": "Texte"})
        assert response.status_code == 400
        assert "Choisissez" in text(response)
    assert not AnswerTemplate.objects.filter(title="Pirate").exists()
    response = client.post(edit_url(template), {"title": "Acte disponible", "service": service.pk,
                                                "body": "Votre acte est disponible à l'accueil."})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.title == "Acte disponible" and template.updated_by == manager
    # Common templates are the administrators': the manager reads them only.
    common = make_template(organisation, None, title="Commun")
    assert "Seuls les responsables" in text(client.get(edit_url(common)))
    assert client.post(edit_url(common), {"title": "x", "service": service.pk, "body": "x"}).status_code == 403
    assert client.post(toggle_url(common)).status_code == 403
    common.refresh_from_db()
    assert common.title == "Commun" and common.is_active


def test_a_plain_agent_reads_only(organisation, service, agent):
    template = make_template(organisation, service, title="Acte prêt")
    client = client_for(organisation, agent)
    listing = text(client.get(LIST))
    assert "Acte prêt" in listing and "Créer un modèle de réponse" not in listing and "Désactiver" not in listing
    page = text(client.get(edit_url(template)))
    assert "Seuls les responsables du service et les administrateurs" in page and "<form" not in page.split(
        "<main")[1].split("</main>")[0].replace('<form action="/i18n/', "")
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, {"title": "x", "service": service.pk, "body": "x"}).status_code == 403
    assert client.post(edit_url(template), {"title": "x", "service": service.pk, "body": "x"}).status_code == 403
    assert client.post(toggle_url(template)).status_code == 403
    template.refresh_from_db()
    assert template.title == "Acte prêt" and template.is_active


def test_another_services_template_is_not_found_for_its_agents(organisation, agent, other_service):
    template = make_template(organisation, other_service, title="Voirie")
    client = client_for(organisation, agent)
    assert "Voirie" not in text(client.get(LIST))
    assert client.get(edit_url(template)).status_code == 404
    assert client.post(toggle_url(template)).status_code == 404


def test_another_collectivites_template_is_not_found(organisation, other_organisation, org_admin):
    theirs = make_template(other_organisation, make_service(other_organisation), title="Montclair")
    client = client_for(organisation, org_admin)
    assert "Montclair" not in text(client.get(LIST))
    assert client.get(edit_url(theirs)).status_code == 404
    assert client.post(edit_url(theirs), {"title": "x", "body": "x"}).status_code == 404
    assert client.post(toggle_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.title == "Montclair" and theirs.is_active


@pytest.mark.parametrize("body, message", [
    ("Bonjour {{ destinataire.nom_complet }}", "Variable inconnue ligne 1 : « destinataire.nom_complet »"),
    ("Bonjour {{ message }}", "Variable inconnue ligne 1 : « message »"),
    ("Bonjour {% if demande.code %}", "Erreur de syntaxe ligne 1"),
    ("{% for x in demande %}{{ x }}{% endfor %}", "Instruction non autorisée dans un modèle"),
    ("{{ demande.code.__class__ }}", "Opération interdite"),
    ("   ", "Écrivez le texte de la réponse."),
])
def test_a_faulty_text_is_refused_in_french_and_nothing_is_saved(organisation, org_admin, body, message):
    client = client_for(organisation, org_admin)
    response = client.post(CREATE, {"title": "Modèle", "service": "", "body": body})
    assert response.status_code == 400
    page = text(response)
    assert message in page and "Erreur —" in page
    assert body.strip() in page  # what was typed is kept
    assert not AnswerTemplate.objects.exists()


def test_a_faulty_title_is_refused(organisation, org_admin):
    client = client_for(organisation, org_admin)
    assert "Donnez un titre au modèle." in text(client.post(CREATE, {"title": " ", "service": "", "body": "Texte"}))
    assert client.post(CREATE, {"title": "x" * 151, "service": "", "body": "Texte"}).status_code == 400
    assert not AnswerTemplate.objects.exists()


def test_a_faulty_edit_keeps_the_saved_template(organisation, org_admin):
    template = make_template(organisation, None, title="Commun", body="Texte enregistré.")
    response = client_for(organisation, org_admin).post(edit_url(template), {
        "title": "Commun", "service": "", "body": "{{ inconnue }}"})
    assert response.status_code == 400 and "Variable inconnue" in text(response)
    template.refresh_from_db()
    assert template.body == "Texte enregistré."


def test_a_deactivated_template_is_no_longer_offered_and_can_come_back(organisation, service, manager, started):
    template = make_template(organisation, service, title="Acte prêt")
    client = client_for(organisation, manager)
    assert list(services.templates_for_request(started)) == [template]
    response = client.post(toggle_url(template), follow=True)
    assert "Le modèle « Acte prêt » est désactivé : il n'est plus proposé." in text(response)
    template.refresh_from_db()
    assert not template.is_active and list(services.templates_for_request(started)) == []
    assert "Désactivé" in text(client.get(LIST))
    client.post(toggle_url(template))
    template.refresh_from_db()
    assert template.is_active
    assert client.get(toggle_url(template)).status_code == 405


def test_the_service_function_refuses_what_the_form_would(organisation, service, manager, other_service, agent):
    from django.core.exceptions import PermissionDenied

    for user in (manager, agent):  # both signed in with their second factor
        user.is_verified = lambda: True

    with pytest.raises(PermissionDenied):
        services.save_template(organisation, manager, title="x", body="x", service=other_service)
    with pytest.raises(PermissionDenied):
        services.save_template(organisation, manager, title="x", body="x", service=None)
    with pytest.raises(PermissionDenied):
        services.save_template(organisation, agent, title="x", body="x", service=service)
    with pytest.raises(services.AnswerRefused) as refused:
        services.save_template(organisation, manager, title="x", body="{{ demande.inconnu }}", service=service)
    assert refused.value.field == "body"
    assert not AnswerTemplate.objects.exists()


def test_elected_members_manage_nothing(organisation, service):
    elected = make_agent(organisation, email="elu@example.org", services=[service], role=Membership.Role.ELECTED)
    template = make_template(organisation, service)
    client = client_for(organisation, elected)
    assert client.get(CREATE).status_code == 403
    assert client.post(toggle_url(template)).status_code == 403


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_the_list_runs_a_constant_number_of_queries(organisation, org_admin, manager, service, other_service, who):
    client = client_for(organisation, org_admin if who == "admin" else manager)
    counts = []
    for how_many in (2, 12):
        for index in range(how_many):
            make_template(organisation, [service, other_service, None][index % 3], title=f"M{how_many}-{index}",
                          updated_by=org_admin)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_demo_templates_are_valid():
    from guichet.demo.data import ANSWER_TEMPLATES, GREETING, SIGNATURE

    for name, templates in ANSWER_TEMPLATES.items():
        for title, body in templates:
            assert services.check_body(GREETING + body + SIGNATURE) is None, (name, title)
