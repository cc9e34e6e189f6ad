"""The message-template editor (/agents/admin/messages/): organisation administrators reword each kind of
message, preview it with sample values, send themselves a test; wrong templates are refused at save."""

import html
import re

import pytest

from guichet.notifications.catalogue import KINDS
from guichet.notifications.models import Delivery, MessageTemplate, Notification
from guichet.notifications.services import notify
from tests.conftest import client_for, make_agent, make_citizen

LIST = "/agents/admin/messages/"


def edit_url(key):
    return f"{LIST}{key}/"


def texts(**overrides):
    data = {
        "subject": "Bienvenue à {{ collectivite.nom }}",
        "body": "Bonjour {{ destinataire.prenom }},\n\nVotre espace : {{ lien }}",
        "sms_text": "{{ collectivite.nom }} : bienvenue {{ destinataire.prenom }}",
        "letter_text": "Bonjour {{ destinataire.prenom }},\n\nBienvenue.",
        "action": "save",
    }
    data.update(overrides)
    return data


def text_of(response):
    return html.unescape(response.content.decode())


def main_of(response):
    return re.search(r"<main.*</main>", text_of(response), re.S).group()


@pytest.fixture
def montclair_admin(other_organisation):
    return make_agent(other_organisation, email="admin@montclair.example", is_org_admin=True)


def test_permissions(organisation, citizen_client, agent_client, anonymous_client, admin_client_org):
    urls = [LIST, edit_url("account.welcome")]
    for url in urls:
        response = anonymous_client.get(url)
        assert response.status_code == 302 and response.url.startswith("/agents/connexion/?next=")
        assert citizen_client.get(url).status_code == 403
        assert agent_client.get(url).status_code == 403
        assert admin_client_org.get(url).status_code == 200
    for client, status in ((anonymous_client, 302), (citizen_client, 403), (agent_client, 403)):
        assert client.post(edit_url("account.welcome"), texts()).status_code == status
        assert client.post(f"{edit_url('account.welcome')}essai/", {"essai-channel": "email"}).status_code == status
    MessageTemplate.objects.create(organisation=organisation, key="account.welcome", **{
        name: value for name, value in texts().items() if name != "action"})
    for client, status in ((anonymous_client, 302), (citizen_client, 403), (agent_client, 403)):
        assert client.post(f"{edit_url('account.welcome')}texte-par-defaut/").status_code == status
    assert MessageTemplate.objects.count() == 1
    assert not Notification.objects.exists()


def test_list_shows_every_kind_default_or_customised(organisation, org_admin, admin_client_org):
    response = admin_client_org.get(LIST)
    content = main_of(response)
    assert "<title>Modèles de messages — Saint-Aubin</title>" in text_of(response)
    assert "<caption>Messages envoyés par le guichet</caption>" in content
    for kind in KINDS.values():
        assert f'<a href="{edit_url(kind.key)}">{kind.label}</a>' in content
    assert content.count("Texte par défaut") == len(KINDS)
    MessageTemplate.objects.create(organisation=organisation, key="message.free", updated_by=org_admin, **{
        name: value for name, value in texts().items() if name != "action"})
    content = main_of(admin_client_org.get(LIST))
    assert content.count("Texte par défaut") == len(KINDS) - 1
    assert '<span class="badge">Personnalisé</span>' in content and "Dominique Agent" in content


def test_edit_page_shows_current_texts_and_the_variables_of_the_kind(admin_client_org):
    response = admin_client_org.get(edit_url("message.free"))
    content = main_of(response)
    assert "<h1>Message : Message d'un service</h1>" in content
    assert "Ce message part avec le texte par défaut" in content
    assert KINDS["message.free"].sms_text in content  # the default text, ready to edit
    for name, (description, sample) in KINDS["message.free"].all_variables.items():
        assert f"<code>{{{{ {name} }}}}</code>" in content
        assert str(description) in content and sample in content
    assert "<caption>Variables de ce message</caption>" in content
    assert '<th scope="col">Variable</th>' in content
    # Works without JavaScript: plain forms, the preview is a submit button of the same form.
    assert "<script" not in text_of(response)
    assert '<button type="submit" name="action" value="preview" class="button-secondary">Aperçu</button>' in content
    assert '<button type="submit" name="action" value="save">Enregistrer</button>' in content
    assert "Revenir au texte par défaut" not in content  # nothing to go back from
    assert "{{ objet }}" in content and "Objet du message" in content
    assert "{{ objet }}" not in main_of(admin_client_org.get(edit_url("account.welcome")))


def test_unknown_kind_is_404(admin_client_org):
    for url in (edit_url("inconnu"), edit_url("1"), f"{edit_url('inconnu')}texte-par-defaut/"):
        assert admin_client_org.get(url).status_code in (404, 405)
    assert admin_client_org.post(edit_url("inconnu"), texts()).status_code == 404
    assert admin_client_org.post(f"{edit_url('inconnu')}essai/", {"essai-channel": "email"}).status_code == 404
    assert admin_client_org.post(f"{edit_url('inconnu')}texte-par-defaut/").status_code == 404
    assert not MessageTemplate.objects.exists() and not Notification.objects.exists()


def test_save_then_messages_use_the_new_text(organisation, org_admin, admin_client_org, citizen):
    response = admin_client_org.post(edit_url("account.welcome"), texts())
    assert response.status_code == 302 and response.url == edit_url("account.welcome")
    template = MessageTemplate.objects.get()
    assert (template.organisation, template.key, template.updated_by) == (organisation, "account.welcome", org_admin)
    assert template.body == "Bonjour {{ destinataire.prenom }},\n\nVotre espace : {{ lien }}"
    page = admin_client_org.get(response.url)
    assert "Le message « Bienvenue (adresse confirmée) » est enregistré." in text_of(page)
    assert "Texte personnalisé" in main_of(page) and "par Dominique Agent" in main_of(page)

    notification = notify(citizen, "account.welcome", link="https://saint-aubin.example/compte/")
    assert notification.subject == "Bienvenue à Saint-Aubin"
    assert notification.body == "Bonjour Camille,\n\nVotre espace : https://saint-aubin.example/compte/"

    # Saving again updates the same row.
    admin_client_org.post(edit_url("account.welcome"), texts(subject="Bienvenue !"))
    assert MessageTemplate.objects.get().subject == "Bienvenue !"


FORBIDDEN = "Opération interdite|Instruction non autorisée"
BAD_TEMPLATES = [
    ("subject", "Bonjour {{ prenom }}", "Variable inconnue"),
    ("body", "Bonjour {{ destinataire.age }}", "Variable inconnue"),
    ("body", "Bonjour {% if destinataire.prenom %}", "Erreur de syntaxe ligne 1"),
    ("letter_text", "Ligne un\nBonjour {{ destinataire.prenom }", "Erreur de syntaxe ligne 2"),
    ("sms_text", "{{ ''.__class__ }}", FORBIDDEN),
    ("letter_text", "{{ ''.__class__.__mro__[1].__subclasses__() }}", FORBIDDEN),
    ("body", "{{ collectivite.nom.__class__.__init__.__globals__ }}", FORBIDDEN),
    ("sms_text", "{{ lien.format.__globals__ }}", FORBIDDEN),
    ("body", "{{ lipsum.__globals__ }}", "Variable inconnue|" + FORBIDDEN),
    ("subject", "", "Ce champ est obligatoire."),
    ("subject", "x" * 201, "Assurez-vous que cette valeur comporte au plus 200 caractères"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_TEMPLATES)
@pytest.mark.parametrize("action", ["save", "preview"])
def test_wrong_templates_are_refused_with_a_clear_message_and_nothing_saved(
    organisation, admin_client_org, field, value, message, action
):
    MessageTemplate.objects.create(organisation=organisation, key="account.welcome", **{
        name: value for name, value in texts(subject="Ancien objet").items() if name != "action"})
    response = admin_client_org.post(edit_url("account.welcome"), texts(action=action, **{field: value}))
    assert response.status_code == 200
    content = main_of(response)
    assert "Le formulaire contient une erreur" in content
    field_error = re.search(rf'<p class="error" id="id_{field}_error">([^<]*)</p>', content).group(1)
    assert re.search(message, field_error), field_error
    assert f'href="#id_{field}"' in content  # the error summary links to the field
    assert "Aperçu (non enregistré)" not in content
    assert list(MessageTemplate.objects.values_list("subject", flat=True)) == ["Ancien objet"]
    assert "<title>Erreur — " in text_of(response)


def test_a_variable_of_another_kind_is_refused(admin_client_org):
    """{{ objet }} belongs to « message.free »: a text posted for « account.welcome » may not use it."""
    response = admin_client_org.post(edit_url("account.welcome"), texts(subject="{{ objet }}", key="message.free"))
    assert response.status_code == 200
    assert "Variable inconnue" in main_of(response)
    assert not MessageTemplate.objects.exists()
    response = admin_client_org.post(edit_url("message.free"), texts(subject="{{ objet }}"))
    assert response.status_code == 302
    assert MessageTemplate.objects.get().key == "message.free"


def test_preview_renders_the_submitted_texts_without_saving(organisation, admin_client_org):
    organisation.phone = "03 83 11 22 33"
    organisation.save()
    data = texts(
        action="preview",
        subject="Votre dossier : {{ objet }}",
        body="Bonjour <b>{{ destinataire.prenom }}</b>,\n{{ message }}\nAppelez le {{ collectivite.telephone }}.",
        sms_text="{{ collectivite.nom }} : {{ message }}",
        letter_text="{{ destinataire.civilite }} {{ destinataire.nom }},\n{{ message }}",
    )
    response = admin_client_org.post(edit_url("message.free"), data)
    assert response.status_code == 200
    raw = response.content.decode()
    content = main_of(response)
    assert "Aperçu (non enregistré)" in content
    assert "<dd>Votre dossier : Votre dossier</dd>" in content
    assert "Bonjour &lt;b&gt;Camille&lt;/b&gt;," in raw  # autoescaped: the text cannot inject markup
    assert "Appelez le 03 83 11 22 33." in content  # the collectivité's own details
    assert '<div class="message-preview" data-preview="sms">Saint-Aubin : Votre dossier est complet.</div>' in content
    assert "40 caractères en alphabet GSM : 1 SMS." in " ".join(content.split())
    letter = '<div class="message-preview" data-preview="letter">Madame Martin,\nVotre dossier est complet.</div>'
    assert letter in content
    # The submitted texts stay in the form, nothing is saved.
    assert "{{ collectivite.nom }} : {{ message }}</textarea>" in content
    assert not MessageTemplate.objects.exists()


def test_preview_counts_sms_segments_and_encoding(admin_client_org):
    long_text = "a" * 150 + " {{ destinataire.prenom }}"  # 158 characters: one SMS
    content = " ".join(main_of(admin_client_org.post(
        edit_url("notifications.test"), texts(action="preview", sms_text=long_text))).split())
    assert "158 caractères en alphabet GSM : 1 SMS." in content
    content = " ".join(main_of(admin_client_org.post(
        edit_url("notifications.test"), texts(action="preview", sms_text=long_text + " !!"))).split())
    assert "161 caractères en alphabet GSM : 2 SMS (envoyé en parties de 153 caractères)." in content
    content = " ".join(main_of(admin_client_org.post(
        edit_url("notifications.test"), texts(action="preview", sms_text="Fête à {{ collectivite.nom }} ✓"))).split())
    assert "20 caractères en Unicode (caractères hors alphabet GSM) : 1 SMS." in content
    assert not MessageTemplate.objects.exists()


def test_reset_goes_back_to_the_default_text(organisation, admin_client_org, citizen):
    admin_client_org.post(edit_url("account.welcome"), texts())
    assert "Revenir au texte par défaut" in main_of(admin_client_org.get(edit_url("account.welcome")))
    assert admin_client_org.get(f"{edit_url('account.welcome')}texte-par-defaut/").status_code == 405
    assert MessageTemplate.objects.exists()
    response = admin_client_org.post(f"{edit_url('account.welcome')}texte-par-defaut/", follow=True)
    assert response.redirect_chain == [(edit_url("account.welcome"), 302)]
    assert "Le message « Bienvenue (adresse confirmée) » reprend le texte par défaut." in text_of(response)
    assert not MessageTemplate.objects.exists()
    assert notify(citizen, "account.welcome").subject == "Bienvenue sur le guichet de Saint-Aubin"
    response = admin_client_org.post(f"{edit_url('account.welcome')}texte-par-defaut/", follow=True)
    assert "utilisait déjà le texte par défaut" in text_of(response)


def test_send_myself_a_test(organisation, org_admin, admin_client_org):
    admin_client_org.post(edit_url("message.free"), texts(subject="Essai : {{ objet }}", body="{{ message }}"))
    response = admin_client_org.post(f"{edit_url('message.free')}essai/", {"essai-channel": "email"}, follow=True)
    assert response.redirect_chain == [(edit_url("message.free"), 302)]
    assert "L'essai est en file d'envoi : Courriel à admin@example.org." in text_of(response)
    notification = Notification.objects.get()
    assert (notification.recipient, notification.key, notification.organisation) == (
        org_admin, "message.free", organisation)
    assert notification.subject == "Essai : Votre dossier" and notification.body == "Votre dossier est complet."
    assert notification.link == "http://saint-aubin.localhost/agents/notifications/"
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.address, delivery.status) == ("email", "admin@example.org", "queued")


def test_test_on_a_channel_without_address_falls_back_and_says_so(admin_client_org):
    response = admin_client_org.post(f"{edit_url('notifications.test')}essai/", {"essai-channel": "sms"}, follow=True)
    assert ("Vous n'avez pas d'adresse pour le canal « SMS » : l'essai part par Courriel à admin@example.org."
            in text_of(response))
    delivery = Delivery.objects.get()
    assert delivery.channel == "email"
    assert delivery.events.filter(kind="fallback").exists()


def test_test_with_sms_goes_to_the_admins_phone(organisation, org_admin, admin_client_org):
    org_admin.phone = "06 12 34 56 78"
    org_admin.save()
    admin_client_org.post(f"{edit_url('notifications.test')}essai/", {"essai-channel": "sms"})
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.address) == ("sms", "+33612345678")
    assert delivery.content == "Message d'essai de Saint-Aubin."


def test_a_forged_test_channel_is_refused(admin_client_org):
    response = admin_client_org.post(f"{edit_url('notifications.test')}essai/", {"essai-channel": "pigeon"})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in main_of(response)
    assert admin_client_org.get(f"{edit_url('notifications.test')}essai/").status_code == 405
    assert not Notification.objects.exists() and not Delivery.objects.exists()


def test_templates_of_one_collectivite_are_invisible_from_another(
    organisation, other_organisation, montclair_admin, org_admin, admin_client_org
):
    theirs = MessageTemplate.objects.create(
        organisation=other_organisation, key="account.welcome", updated_by=montclair_admin,
        subject="Objet de Montclair", body="Texte de Montclair", sms_text="SMS de Montclair",
        letter_text="Courrier de Montclair",
    )
    assert "Montclair" not in main_of(admin_client_org.get(LIST))
    assert "Montclair" not in main_of(admin_client_org.get(edit_url("account.welcome")))
    assert admin_client_org.get(edit_url(str(theirs.pk))).status_code == 404

    # Resetting or saving here leaves Montclair's template alone.
    admin_client_org.post(f"{edit_url('account.welcome')}texte-par-defaut/")
    admin_client_org.post(edit_url("account.welcome"), texts(organisation=other_organisation.pk))
    theirs.refresh_from_db()
    assert theirs.subject == "Objet de Montclair"
    mine = MessageTemplate.objects.get(organisation=organisation)
    assert mine.subject == "Bienvenue à {{ collectivite.nom }}"

    # Montclair's citizens still get Montclair's text, Saint-Aubin's get Saint-Aubin's.
    assert notify(make_citizen(other_organisation), "account.welcome").subject == "Objet de Montclair"
    ours = make_citizen(organisation, email="x@example.org")
    assert notify(ours, "account.welcome").subject == "Bienvenue à Saint-Aubin"


def test_an_administrator_of_another_collectivite_cannot_reach_this_ones_editor(
    organisation, other_organisation, montclair_admin
):
    MessageTemplate.objects.create(organisation=organisation, key="account.welcome", subject="À nous",
                                   body="b", sms_text="s", letter_text="l")
    intruder = client_for(organisation, montclair_admin)
    for url in (LIST, edit_url("account.welcome")):
        response = intruder.get(url)
        assert response.status_code == 302 and response.url.startswith("/agents/connexion/")
    intruder.post(edit_url("account.welcome"), texts())
    intruder.post(f"{edit_url('account.welcome')}texte-par-defaut/")
    assert MessageTemplate.objects.get().subject == "À nous"
    assert not MessageTemplate.objects.filter(organisation=other_organisation).exists()
