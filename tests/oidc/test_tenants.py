"""Tenant isolation: one collectivité's providers, identities and attempts are worth nothing in another."""

import pytest
from django.urls import reverse

from guichet.accounts.models import User
from guichet.oidc.models import ExternalIdentity
from tests.conftest import client_for, host_of, make_agent, make_citizen

from .conftest import PROVIDER_WARNINGS, CLAIMS, begin, logged_in_user_id, make_provider, new_sub, sign_in

pytestmark = [pytest.mark.django_db, *PROVIDER_WARNINGS]


def test_provider_of_a_is_unknown_on_b(other_organisation, provider):
    browser = client_for(other_organisation)
    assert browser.get(reverse("oidc:start", args=[provider.slug])).status_code == 404


def test_identity_of_a_never_signs_into_b(organisation, other_organisation, citizen, provider, oidc):
    """Same provider declared by both collectivités, same person: A's link does not open anything in B."""
    make_provider(other_organisation, oidc.issuer)
    sub = new_sub()
    ExternalIdentity.objects.create(organisation=organisation, user=citizen, provider=provider, subject=sub)
    make_citizen(other_organisation, email=CLAIMS["email"])  # B has an account with the provider's e-mail

    browser = client_for(other_organisation)
    response = sign_in(browser, oidc, sub)

    assert response.status_code == 409  # unknown identity in B whose e-mail is taken there: not linked
    assert logged_in_user_id(browser) is None
    assert ExternalIdentity.objects.count() == 1
    assert User.objects.count() == 2


def test_identity_of_a_creates_a_separate_account_in_b(organisation, other_organisation, citizen, provider, oidc):
    make_provider(other_organisation, oidc.issuer)
    sub = new_sub()
    ExternalIdentity.objects.create(organisation=organisation, user=citizen, provider=provider, subject=sub)

    browser = client_for(other_organisation)
    sign_in(browser, oidc, sub)

    new_user = User.objects.get(organisation=other_organisation)
    assert logged_in_user_id(browser) == new_user.pk != citizen.pk
    assert ExternalIdentity.objects.get(organisation=other_organisation).user == new_user


def test_state_issued_on_a_is_refused_on_b(organisation, other_organisation, provider, oidc):
    """The test client sends its cookies to every host: the attempt is in the session, yet refused on B."""
    make_provider(other_organisation, oidc.issuer)
    browser = client_for(organisation)
    callback_url = oidc.authorize(begin(browser), new_sub(), CLAIMS)

    response = browser.get(callback_url, HTTP_HOST=host_of(other_organisation))

    assert response.status_code == 400
    assert "ne correspond à aucune connexion en cours" in response.content.decode()
    assert not User.objects.exists()
    assert not ExternalIdentity.objects.exists()


def test_session_of_a_cannot_link_on_b(organisation, other_organisation, citizen, oidc):
    """A's citizen session is anonymous on B's host: linking there asks to log in (to B)."""
    make_provider(other_organisation, oidc.issuer)
    browser = client_for(organisation, citizen)
    response = browser.get(reverse("oidc:start", args=["franceconnect"]), {"link": "1"},
                           HTTP_HOST=host_of(other_organisation))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_unlink_of_another_collectivites_identity_gives_404(organisation, other_organisation, citizen, oidc):
    other_provider = make_provider(other_organisation, oidc.issuer)
    other_citizen = make_citizen(other_organisation)
    identity = ExternalIdentity.objects.create(
        organisation=other_organisation, user=other_citizen, provider=other_provider, subject="x",
    )
    response = client_for(organisation, citizen).post(reverse("oidc:unlink", args=[identity.pk]))
    assert response.status_code == 404
    assert ExternalIdentity.objects.filter(pk=identity.pk).exists()


def test_admin_of_b_gets_404_for_providers_of_a(other_organisation, provider):
    admin_b = make_agent(other_organisation, email="admin-b@example.org", is_org_admin=True)
    browser = client_for(other_organisation, admin_b)
    assert browser.get(reverse("oidc_admin:edit", args=[provider.pk])).status_code == 404
    assert browser.post(reverse("oidc_admin:edit", args=[provider.pk]), {"name": "Pirate"}).status_code == 404
    assert browser.post(reverse("oidc_admin:delete", args=[provider.pk])).status_code == 404
    page = browser.get(reverse("oidc_admin:list")).content.decode()
    assert "Modifier FranceConnect" not in page and provider.issuer not in page
    provider.refresh_from_db()
    assert provider.name == "FranceConnect"


def test_admin_of_a_is_anonymous_on_b(organisation, other_organisation, org_admin, provider):
    browser = client_for(organisation, org_admin)
    response = browser.get(reverse("oidc_admin:list"), HTTP_HOST=host_of(other_organisation))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("agents:login"))
