"""Saved views of the queue: save the current filters under a name, list, apply, delete; each agent's own."""

import html

from guichet.queues.models import SavedView
from tests.conftest import client_for, make_agent

from .conftest import days, new_request

CREATE = "/agents/files/vues/"


def text(response):
    return html.unescape(response.content.decode())


def test_save_list_apply_and_delete_a_view(organisation, agent, version, citizen):
    overdue = new_request(version, citizen, deadline=days(-2))
    new_request(version, citizen, deadline=days(9))
    client = client_for(organisation, agent)
    page = text(client.get("/agents/demandes/", {"deadline_state": "overdue", "page": "1"}))
    assert '<input type="hidden" name="params" value="deadline_state=overdue" id="vue_params">' in page
    response = client.post(CREATE, {"name": "  Mes   retards ", "params": "deadline_state=overdue&page=3"})
    assert response.status_code == 302 and response["Location"] == "/agents/demandes/?deadline_state=overdue"
    view = SavedView.objects.get()
    assert (view.owner, view.organisation, view.name, view.params) == (agent, organisation, "Mes retards",
                                                                       "deadline_state=overdue")
    page = text(client.get(response["Location"]))
    assert "La vue « Mes retards » est enregistrée." in page
    assert f'<a href="/agents/files/vues/{view.pk}/" aria-current="true">Mes retards</a>' in page
    applied = client.get(f"/agents/files/vues/{view.pk}/", follow=True)
    assert [item.tracking_code for item in applied.context["page"].object_list] == [overdue.tracking_code]
    response = client.post(f"/agents/files/vues/{view.pk}/supprimer/", follow=True)
    assert "La vue « Mes retards » est supprimée." in text(response)
    assert not SavedView.objects.exists()


def test_bad_names_and_bad_filters_are_refused_with_the_filters_kept(organisation, agent, version):
    client = client_for(organisation, agent)
    SavedView.objects.create(organisation=organisation, owner=agent, name="Urgentes", params="priority=4")
    for data, error in [
        ({"name": "", "params": "priority=4"}, "Nom de la vue : Ce champ est obligatoire"),
        ({"name": "urgentes", "params": "priority=3"}, "Vous avez déjà une vue de ce nom."),
        ({"name": "x" * 101, "params": ""}, "au plus 100 caractères"),
        ({"name": "Fausse", "params": "priority=9"}, "Les filtres sont incorrects"),
    ]:
        response = client.post(CREATE, data)
        assert response.status_code == 400
        assert error in text(response), data
    assert SavedView.objects.count() == 1
    # The filters being saved stay on the page shown again.
    response = client.post(CREATE, {"name": "", "params": "priority=4"})
    assert response.context["form"].cleaned_data["priority"] == "4"


def test_another_agents_or_another_collectivites_view_is_404(organisation, other_organisation, agent, service):
    colleague = make_agent(organisation, email="collegue2@example.org", services=[service])
    theirs = SavedView.objects.create(organisation=organisation, owner=colleague, name="La sienne", params="")
    montclair_agent = make_agent(other_organisation, email="agent@montclair.example.org")
    montclair = SavedView.objects.create(organisation=other_organisation, owner=montclair_agent, name="Montclair")
    client = client_for(organisation, agent)
    for view in (theirs, montclair):
        assert client.get(f"/agents/files/vues/{view.pk}/").status_code == 404
        assert client.post(f"/agents/files/vues/{view.pk}/supprimer/").status_code == 404
    assert SavedView.objects.count() == 2
    page = text(client.get("/agents/demandes/"))
    assert "La sienne" not in page and "Montclair</a>" not in page
    assert "Aucune vue enregistrée" in page


def test_views_are_for_agents_only(organisation, citizen, agent):
    view = SavedView.objects.create(organisation=organisation, owner=agent, name="Vue", params="")
    assert client_for(organisation, citizen).post(CREATE, {"name": "Vue"}).status_code == 403
    assert client_for(organisation, citizen).post(f"/agents/files/vues/{view.pk}/supprimer/").status_code == 403
    assert SavedView.objects.count() == 1
