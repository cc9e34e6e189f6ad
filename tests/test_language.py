"""French by default, English when the person chooses it."""

from tests.conftest import client_for


def test_french_by_default_even_for_an_english_browser(organisation):
    response = client_for(organisation).get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    content = response.content.decode()
    assert '<html lang="fr">' in content and "Se connecter" in content


def test_english_when_chosen_with_the_language_switch(organisation, citizen):
    client = client_for(organisation, citizen)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/compte/"})
    assert response.status_code == 302
    content = client.get("/compte/").content.decode()
    assert '<html lang="en">' in content
    assert "My account" in content and "Mon compte" not in content
    assert "Log out" in content


def test_form_errors_are_in_english_too(organisation):
    client = client_for(organisation)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    content = client.post("/compte/inscription/", {"email": "pas-une-adresse"}).content.decode()
    assert "This field is required." in content
    assert "Ce champ est obligatoire." not in content
