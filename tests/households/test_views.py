"""The citizen's household pages: list, add, edit, delete — each citizen only reaches their own members."""

import datetime

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guichet.households.models import HouseholdMember
from tests.conftest import client_for, make_citizen
from tests.households.conftest import make_member, member_data

LIST, ADD = "/compte/foyer/", "/compte/foyer/ajouter/"


def edit_url(member):
    return f"/compte/foyer/{member.pk}/modifier/"


def delete_url(member):
    return f"/compte/foyer/{member.pk}/supprimer/"


def test_anonymous_is_redirected_and_agents_are_refused(citizen, agent_client, anonymous_client):
    member = make_member(citizen)
    for url in (LIST, ADD, edit_url(member), delete_url(member)):
        response = anonymous_client.get(url)
        assert response.status_code == 302 and response.url.startswith("/compte/connexion/?next=")
        assert agent_client.get(url).status_code == 403
    assert agent_client.post(delete_url(member)).status_code == 403
    assert HouseholdMember.objects.filter(pk=member.pk).exists()


def test_empty_list(citizen_client):
    response = citizen_client.get(LIST)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Mon foyer — Saint-Aubin</title>" in content
    assert "Vous n'avez déclaré personne vivant avec vous." in content


def test_add_edit_and_delete_members(organisation, citizen, citizen_client):
    assert "<title>Ajouter une personne à mon foyer" in citizen_client.get(ADD).content.decode()
    response = citizen_client.post(ADD, member_data(civility="m"))
    assert response.status_code == 302 and response.url == LIST
    response = citizen_client.post(
        ADD, member_data(relationship="spouse", civility="", first_name="Alex", last_name="Petit", birth_date=""),
    )
    assert response.status_code == 302
    child = HouseholdMember.objects.get(first_name="Jules")
    spouse = HouseholdMember.objects.get(first_name="Alex")
    assert (child.organisation, child.citizen, child.relationship, child.civility) == (
        organisation, citizen, "child", "m"
    )
    assert child.birth_date == datetime.date(2015, 6, 1) and spouse.birth_date is None

    content = citizen_client.get(LIST).content.decode()
    assert "<caption>Personnes vivant avec vous</caption>" in content
    assert "Monsieur Jules Martin" in content and "Enfant" in content and "1 juin 2015" in content
    assert "Conjoint ou conjointe" in content and "Alex Petit" in content

    response = citizen_client.post(edit_url(child), member_data(first_name="Julien", civility="m"))
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.first_name == "Julien"

    page = citizen_client.get(delete_url(spouse))
    assert page.status_code == 200 and "Retirer Alex Petit de mon foyer" in page.content.decode()
    assert HouseholdMember.objects.filter(pk=spouse.pk).exists()
    response = citizen_client.post(delete_url(spouse))
    assert response.status_code == 302
    assert not HouseholdMember.objects.filter(pk=spouse.pk).exists()
    assert HouseholdMember.objects.filter(pk=child.pk).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (member_data(birth_date=""), "Indiquez la date de naissance de l&#x27;enfant."),
        (
            member_data(birth_date=(timezone.localdate() + datetime.timedelta(days=1)).isoformat()),
            "La date de naissance ne peut pas être dans le futur.",
        ),
        (member_data(birth_date="2015-13-45"), "Saisissez une date valide."),
        (member_data(first_name="", last_name=""), "Ce champ est obligatoire."),
        (member_data(relationship="cousin"), "Sélectionnez un choix valide."),
        (member_data(relationship=""), "Ce champ est obligatoire."),
    ],
)
def test_bad_input_changes_nothing(citizen, citizen_client, data, message):
    existing = make_member(citizen, relationship="spouse", first_name="Alex", last_name="Petit", birth_date=None)
    before = model_to_dict(existing)
    for url in (ADD, edit_url(existing)):
        response = citizen_client.post(url, data)
        assert response.status_code == 200
        content = response.content.decode()
        assert message in content, content
        assert 'class="error-summary"' in content
    assert HouseholdMember.objects.count() == 1
    existing.refresh_from_db()
    assert model_to_dict(existing) == before


def test_other_citizens_and_other_collectivites_members_are_not_found(
    organisation, other_organisation, citizen, citizen_client
):
    neighbour = make_citizen(organisation, email="voisin@example.org")
    neighbours_child = make_member(neighbour, first_name="Léo")
    twin = make_citizen(other_organisation, email=citizen.email)
    foreign_child = make_member(twin, first_name="Zoé")
    for member in (neighbours_child, foreign_child):
        before = model_to_dict(member)
        assert citizen_client.get(edit_url(member)).status_code == 404
        assert citizen_client.post(edit_url(member), member_data(first_name="Pirate")).status_code == 404
        assert citizen_client.get(delete_url(member)).status_code == 404
        assert citizen_client.post(delete_url(member)).status_code == 404
        member.refresh_from_db()
        assert model_to_dict(member) == before
    content = citizen_client.get(LIST).content.decode()
    assert "Léo" not in content and "Zoé" not in content

    # The twin's own session does not reach Saint-Aubin's pages, even with the twin's own ids.
    twin_client = client_for(other_organisation, twin)
    assert twin_client.get(edit_url(foreign_child)).status_code == 200
    twin_client.defaults["HTTP_HOST"] = "saint-aubin.localhost"
    assert twin_client.get(edit_url(foreign_child)).status_code == 302


def test_list_query_count_does_not_grow_with_members(citizen, citizen_client):
    make_member(citizen)
    with CaptureQueriesContext(connection) as one:
        assert citizen_client.get(LIST).status_code == 200
    for index in range(9):
        make_member(citizen, first_name=f"Enfant {index}")
    with CaptureQueriesContext(connection) as ten:
        response = citizen_client.get(LIST)
    assert response.content.decode().count("/modifier/") == 10
    assert len(ten) == len(one), [query["sql"] for query in ten]
