"""Sign-up with e-mail confirmation, and the confirmation links."""

import datetime
import re

from django.contrib.auth import SESSION_KEY
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from guichet.accounts.models import User
from guichet.accounts.tokens import EmailConfirmationTokenGenerator, email_confirmation_token
from tests.accounts.conftest import link_in, make_unconfirmed, path_of, signup_data
from tests.conftest import client_for, host_of, make_citizen

SIGNUP = "/compte/inscription/"
DUPLICATE = "Un compte existe déjà avec cette adresse électronique."


def confirm_path(user, token):
    return f"/compte/confirmer/{urlsafe_base64_encode(force_bytes(user.pk))}/{token}/"


def test_signup_page_is_in_french_with_consent(visitor):
    response = visitor.get(SIGNUP)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Créer un compte — Saint-Aubin</title>" in content
    assert "J&#x27;accepte le traitement de mes données personnelles" in content
    assert 'name="consent"' in content and 'name="password2"' in content


def test_signup_creates_an_unconfirmed_citizen_and_mails_a_link_that_confirms_and_signs_in(
    organisation, visitor, outbox
):
    organisation.sender_email = "mairie@saint-aubin.example"
    organisation.save()
    response = visitor.post(SIGNUP, signup_data(email="Lea.Durand@Example.org"))
    assert response.status_code == 302 and response.url == "/compte/inscription/envoyee/"
    assert "Confirmez votre adresse" in visitor.get(response.url).content.decode()

    user = User.objects.get(email="lea.durand@example.org")
    assert user.organisation == organisation and user.kind == User.Kind.CITIZEN
    assert not user.email_confirmed and user.check_password(signup_data()["password1"])
    assert (user.civility, user.first_name, user.last_name) == ("mme", "Léa", "Durand")
    assert SESSION_KEY not in visitor.session

    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == ["lea.durand@example.org"]
    assert message.from_email == "Saint-Aubin <mairie@saint-aubin.example>"
    assert message.subject == "Saint-Aubin : confirmez votre adresse électronique"
    assert "Bonjour Léa" in message.body
    url = link_in(message)
    assert url.startswith("http://saint-aubin.localhost/compte/confirmer/")

    response = visitor.get(path_of(url, host_of(organisation)))
    assert response.status_code == 302 and response.url == "/compte/"
    user.refresh_from_db()
    assert user.email_confirmed
    assert visitor.session[SESSION_KEY] == str(user.pk)
    assert "Votre adresse électronique est confirmée" in visitor.get("/compte/").content.decode()

    # The link only works once.
    again = client_for(organisation).get(path_of(url, host_of(organisation)))
    assert again.status_code == 400
    assert "Lien de confirmation non valable" in again.content.decode()
    assert "/compte/confirmer/nouveau-lien/" in again.content.decode()


def test_duplicate_email_in_the_same_collectivite_is_refused(organisation, citizen, visitor, outbox):
    before = User.objects.count()
    response = visitor.post(SIGNUP, signup_data(email="CAMILLE.martin@example.org"))
    assert response.status_code == 200
    assert DUPLICATE in response.content.decode()
    assert User.objects.count() == before and outbox == []


def test_an_agents_address_is_also_taken(organisation, agent, visitor):
    response = visitor.post(SIGNUP, signup_data(email=agent.email))
    assert DUPLICATE in response.content.decode()
    assert User.objects.filter(email=agent.email).count() == 1


def test_same_email_in_another_collectivite_is_a_separate_account(organisation, other_organisation, citizen, outbox):
    response = client_for(other_organisation).post(SIGNUP, signup_data(email=citizen.email))
    assert response.status_code == 302
    other = User.objects.get(organisation=other_organisation, email=citizen.email)
    assert other.pk != citizen.pk and not other.email_confirmed
    assert outbox[0].to == [citizen.email]
    assert "http://montclair.localhost/compte/confirmer/" in outbox[0].body


def assert_refused(visitor, data, message, outbox):
    before = User.objects.count()
    response = visitor.post(SIGNUP, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content, content
    assert 'class="error-summary"' in content
    assert User.objects.count() == before
    assert outbox == []


def test_malformed_email(visitor, outbox):
    assert_refused(visitor, signup_data(email="lea.durand@"), "Saisissez une adresse de courriel valide.", outbox)


def test_password_mismatch(visitor, outbox):
    assert_refused(
        visitor, signup_data(password2="Autre-mot-de-passe-99"), "Les deux mots de passe ne sont pas identiques.",
        outbox,
    )


def test_weak_passwords(visitor, outbox):
    assert_refused(visitor, signup_data(password1="court", password2="court"), "Ce mot de passe est trop court", outbox)
    assert_refused(
        visitor, signup_data(password1="motdepasse", password2="motdepasse"), "Ce mot de passe est trop courant",
        outbox,
    )
    assert_refused(
        visitor, signup_data(password1="1234567890123", password2="1234567890123"),
        "Ce mot de passe est entièrement numérique", outbox,
    )


def test_consent_is_required(visitor, outbox):
    data = signup_data()
    del data["consent"]
    assert_refused(visitor, data, "Ce champ est obligatoire.", outbox)


def test_required_names(visitor, outbox):
    assert_refused(visitor, signup_data(first_name="", last_name=""), "Ce champ est obligatoire.", outbox)


def test_bad_phones(visitor, outbox):
    message = "Indiquez un numéro de téléphone français valide, par exemple 06 12 34 56 78."
    assert_refused(visitor, signup_data(phone="12345"), message, outbox)
    assert_refused(visitor, signup_data(phone="+44 20 7946 0958"), message, outbox)


def test_sms_needs_a_phone_and_letter_a_postal_address(visitor, outbox):
    assert_refused(
        visitor, signup_data(preferred_channel="sms"), "Pour être contacté par SMS, indiquez un numéro de téléphone.",
        outbox,
    )
    assert_refused(
        visitor, signup_data(preferred_channel="letter", address_line="3 rue des Lilas", postcode="54470"),
        "Pour être contacté par courrier postal, indiquez votre adresse complète", outbox,
    )


def test_sms_with_a_french_phone_is_accepted(visitor):
    response = visitor.post(SIGNUP, signup_data(preferred_channel="sms", phone="06 12 34 56 78"))
    assert response.status_code == 302
    user = User.objects.get(email="lea.durand@example.org")
    assert user.preferred_channel == "sms" and user.phone.as_e164 == "+33612345678"


def test_signup_closed(organisation, visitor, outbox):
    organisation.citizen_signup_open = False
    organisation.save()
    response = visitor.get(SIGNUP)
    assert response.status_code == 403
    assert "Inscription fermée" in response.content.decode()
    assert visitor.post(SIGNUP, signup_data()).status_code == 403
    assert not User.objects.filter(email="lea.durand@example.org").exists() and outbox == []
    assert "Créer un compte" not in visitor.get("/compte/connexion/").content.decode()


def test_expired_link_is_refused_with_a_way_to_get_a_new_one(organisation, visitor):
    user = make_unconfirmed(organisation)

    class FourDaysAgo(EmailConfirmationTokenGenerator):
        def _now(self):
            return datetime.datetime.now() - datetime.timedelta(days=4)

    response = visitor.get(confirm_path(user, FourDaysAgo().make_token(user)))
    assert response.status_code == 400
    content = response.content.decode()
    assert "expiré" in content and 'href="/compte/confirmer/nouveau-lien/"' in content
    user.refresh_from_db()
    assert not user.email_confirmed and SESSION_KEY not in visitor.session

    class TwoDaysAgo(EmailConfirmationTokenGenerator):
        def _now(self):
            return datetime.datetime.now() - datetime.timedelta(days=2)

    assert visitor.get(confirm_path(user, TwoDaysAgo().make_token(user))).status_code == 302


def test_forged_and_foreign_links_are_refused(organisation, other_organisation, visitor):
    user = make_unconfirmed(organisation)
    assert visitor.get(confirm_path(user, "c0ffee-0123456789abcdef0123456789abcdef")).status_code == 400
    assert visitor.get("/compte/confirmer/bm9u/abc-def/").status_code == 400
    # A genuine token for this citizen, followed on another collectivité's host.
    response = client_for(other_organisation).get(confirm_path(user, email_confirmation_token.make_token(user)))
    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.email_confirmed


def test_resend_confirmation_never_reveals_whether_the_address_exists(organisation, visitor, outbox):
    pending = make_unconfirmed(organisation, email="pending@example.org")
    make_citizen(organisation, email="confirmed@example.org")

    answers = {}
    for email in ("pending@example.org", "confirmed@example.org", "nobody@example.org"):
        response = visitor.post("/compte/confirmer/nouveau-lien/", {"email": email})
        assert response.status_code == 200
        main = re.search(r"<main.*</main>", response.content.decode(), re.S).group()
        answers[email] = main.replace(email, "EMAIL")
    assert len(set(answers.values())) == 1

    assert [message.to for message in outbox] == [["pending@example.org"]]
    response = visitor.get(path_of(link_in(outbox[0]), host_of(organisation)))
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.email_confirmed


def test_resend_confirmation_bad_input(visitor, outbox):
    response = visitor.post("/compte/confirmer/nouveau-lien/", {"email": "pas-une-adresse"})
    assert "Saisissez une adresse de courriel valide." in response.content.decode()
    assert outbox == []
