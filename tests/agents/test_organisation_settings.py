"""Administrators edit their collectivité's own settings; the operator's fields stay out of reach."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from guichet.organisations.models import Organisation
from tests.conftest import client_for

URL = reverse("agents:organisation_settings")


def settings_data(organisation, **overrides):
    data = {
        "name": organisation.name, "address": "1 place de la Mairie\n54470 Saint-Aubin", "phone": "03 83 00 00 00",
        "email": "mairie@saint-aubin.fr", "website": "https://www.saint-aubin.fr",
        "opening_hours": "Du lundi au vendredi, 9 h – 12 h", "legal_notices": "Directeur de la publication : le maire.",
        "primary_colour": "#1F4E8C", "secondary_colour": "#7a2e0e", "sender_email": "ne-pas-repondre@saint-aubin.fr",
        "citizen_signup_open": "on",
    }
    data.update(overrides)
    return data


def image_file(name="logo.png", image_format="PNG", size=(60, 40), colour=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format.lower()}")


def reload(organisation):
    return Organisation.objects.get(pk=organisation.pk)


def test_page_offers_only_the_collectivite_fields(admin_client_org):
    content = admin_client_org.get(URL).content.decode()
    for field in ("name", "address", "phone", "email", "website", "opening_hours", "legal_notices",
                  "primary_colour", "secondary_colour", "logo", "sender_email", "citizen_signup_open"):
        assert f'name="{field}"' in content
    for field in ("slug", "kind", "insee_code", "intercommunality", "is_active"):
        assert f'name="{field}"' not in content
    assert 'enctype="multipart/form-data"' in content


def test_save_settings(admin_client_org, organisation):
    response = admin_client_org.post(URL, settings_data(organisation, name="Ville de Saint-Aubin"), follow=True)
    assert "Les réglages de la collectivité sont enregistrés." in response.content.decode()
    saved = reload(organisation)
    assert saved.name == "Ville de Saint-Aubin"
    assert saved.email == "mairie@saint-aubin.fr" and saved.website == "https://www.saint-aubin.fr"
    assert saved.primary_colour == "#1f4e8c"
    assert saved.from_email == "Ville de Saint-Aubin <ne-pas-repondre@saint-aubin.fr>"
    assert "--primary: #1f4e8c" in response.content.decode()


def test_close_citizen_signup(admin_client_org, organisation):
    data = settings_data(organisation)
    del data["citizen_signup_open"]
    admin_client_org.post(URL, data)
    assert not reload(organisation).citizen_signup_open


def test_operator_fields_cannot_be_changed(admin_client_org, organisation):
    admin_client_org.post(URL, settings_data(organisation, slug="pirate", insee_code="99999", kind="intercommunal"))
    saved = reload(organisation)
    assert (saved.slug, saved.insee_code, saved.kind) == ("saint-aubin", "54470", "commune")


def test_pale_colour_is_refused(admin_client_org, organisation):
    response = admin_client_org.post(URL, settings_data(organisation, primary_colour="#ffdd00", name="Changé"))
    content = response.content.decode()
    assert "Cette couleur est trop claire" in content and "4,5:1" in content
    saved = reload(organisation)
    assert saved.primary_colour == "#1f4e8c" and saved.name == "Saint-Aubin"
    # The refused colour and name are not painted on the page.
    assert "--primary: #1f4e8c" in content
    assert "<span>Saint-Aubin</span>" in content


def test_malformed_colour_email_and_phone_are_explained(admin_client_org, organisation):
    response = admin_client_org.post(
        URL, settings_data(organisation, secondary_colour="rouge", email="mairie@", phone="123")
    )
    content = response.content.decode()
    assert "Indiquez une couleur au format #RRGGBB" in content
    assert "Saisissez une adresse de courriel valide." in content
    assert "Indiquez un numéro de téléphone français valide" in content
    saved = reload(organisation)
    assert saved.email == "" and saved.secondary_colour == "#7a2e0e"


def test_logo_is_stored_as_png(admin_client_org, organisation):
    admin_client_org.post(URL, {**settings_data(organisation), "logo": image_file("logo.jpg", "JPEG")})
    saved = reload(organisation)
    assert saved.logo.name.endswith(".png")
    with saved.logo.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "PNG" and image.size == (60, 40)
    logo = client_for(organisation).get(reverse("organisations:logo"))
    assert logo.status_code == 200


def test_huge_logo_is_shrunk(admin_client_org, organisation):
    admin_client_org.post(URL, {**settings_data(organisation), "logo": image_file(size=(3000, 1500))})
    with reload(organisation).logo.open("rb") as stored, Image.open(stored) as image:
        assert image.size == (1024, 512)


def test_text_file_named_logo_png_is_refused(admin_client_org, organisation):
    fake = SimpleUploadedFile("logo.png", b"Ceci n'est pas une image.", content_type="image/png")
    response = admin_client_org.post(URL, {**settings_data(organisation, name="Changé"), "logo": fake})
    assert "Ce fichier n&#x27;est pas une image lisible" in response.content.decode()
    saved = reload(organisation)
    assert not saved.logo and saved.name == "Saint-Aubin"


def test_logo_over_one_megabyte_is_refused(admin_client_org, organisation):
    big = SimpleUploadedFile("logo.png", b"\x89PNG" + b"0" * (1024 * 1024), content_type="image/png")
    response = admin_client_org.post(URL, {**settings_data(organisation), "logo": big})
    assert "Le logo ne doit pas dépasser 1 Mo." in response.content.decode()
    assert not reload(organisation).logo


def test_logo_can_be_replaced_then_removed(admin_client_org, organisation):
    admin_client_org.post(URL, {**settings_data(organisation), "logo": image_file()})
    first = reload(organisation).logo
    assert first and first.storage.exists(first.name)
    admin_client_org.post(URL, {**settings_data(organisation), "logo": image_file(colour=(0, 0, 120))})
    second = reload(organisation).logo
    assert second.name != first.name
    assert second.storage.exists(second.name) and not first.storage.exists(first.name)
    admin_client_org.post(URL, {**settings_data(organisation), "logo-clear": "on"})
    assert not reload(organisation).logo
    assert not second.storage.exists(second.name)


def test_image_unfolding_into_too_many_pixels_is_refused(admin_client_org, organisation):
    buffer = io.BytesIO()
    Image.new("1", (6000, 6000)).save(buffer, format="PNG")  # a few kilobytes, 36 million pixels
    bomb = SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")
    response = admin_client_org.post(URL, {**settings_data(organisation), "logo": bomb})
    assert "Cette image est trop grande" in response.content.decode()
    assert not reload(organisation).logo


def test_a_member_commune_sets_its_mayor_office_address_for_its_intercommunality(admin_client_org, organisation):
    """Only a member of an intercommunality is asked (commune_updates reads it); a bad address is refused."""
    assert organisation.intercommunality_id
    assert 'name="mayor_office_email"' in admin_client_org.get(URL).content.decode()
    response = admin_client_org.post(URL, settings_data(organisation, mayor_office_email="pas-une-adresse"))
    assert "Saisissez une adresse de courriel valide." in response.content.decode()
    assert "mayor_office_email" not in reload(organisation).settings
    admin_client_org.post(URL, settings_data(organisation, mayor_office_email="cabinet@saint-aubin.fr"))
    assert reload(organisation).settings["mayor_office_email"] == "cabinet@saint-aubin.fr"


def test_an_intercommunality_is_not_asked_for_a_mayor_office(epci):
    from tests.conftest import make_agent

    admin = make_agent(epci, email="admin@epci.example.org", is_org_admin=True)
    assert 'name="mayor_office_email"' not in client_for(epci, admin).get(URL).content.decode()
