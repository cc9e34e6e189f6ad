"""Publication and versions: a published procedure is edited as a working copy, published as a new version;
requests keep the version they were made with."""

import copy

import pytest

from guichet.formdefs import summary
from guichet.procedures import services
from guichet.procedures.models import Procedure, ProcedureVersion
from guichet.service_requests.models import ServiceRequest
from guichet.service_requests.services import create_request
from tests.procedures.conftest import FORM, make_procedure, make_workflow


def test_first_publication_creates_version_1(procedure, org_admin, service):
    version = services.publish(procedure, org_admin)
    procedure.refresh_from_db()
    assert version.number == 1
    assert procedure.state == Procedure.State.PUBLISHED
    assert procedure.current_version == version
    assert version.form == FORM
    assert version.workflow == procedure.workflow.definition
    assert version.workflow_name == "Circuit simple"
    assert version.published_by == org_admin
    assert (version.title, version.service, version.deadline_amount, version.deadline_unit,
            version.silence_means, version.who_may_submit) == (
        procedure.title, service, 30, "calendar_days", "none", "anyone")
    assert version.organisation == procedure.organisation


def test_publishing_again_without_change_creates_no_version(published, org_admin):
    version = services.publish(published, org_admin)
    assert version.number == 1
    assert ProcedureVersion.objects.filter(procedure=published).count() == 1
    assert not services.has_unpublished_changes(published)


def test_description_changes_need_no_new_version(published, org_admin):
    published.short_description = "Une autre description."
    published.keywords = "acte, naissance"
    published.save()
    assert not services.has_unpublished_changes(published)
    assert services.publish(published, org_admin).number == 1


@pytest.mark.parametrize(("name", "value"), [
    ("title", "Nouveau titre"), ("deadline_amount", 10), ("deadline_unit", "working_days"),
    ("silence_means", "acceptance"), ("who_may_submit", "citizen"), ("service", None),
])
def test_a_request_setting_change_makes_a_new_version(published, org_admin, name, value):
    setattr(published, name, value)
    published.save()
    assert services.has_unpublished_changes(published)
    version = services.publish(published, org_admin)
    assert version.number == 2
    assert getattr(version, name) == value


def test_workflow_change_makes_a_new_version(published, org_admin):
    workflow = published.workflow
    workflow.definition["statuses"][1]["label"] = "Terminée"
    workflow.save()
    version = services.publish(published, org_admin)
    assert version.number == 2
    assert version.workflow["statuses"][1]["label"] == "Terminée"
    assert ProcedureVersion.objects.get(procedure=published, number=1).workflow["statuses"][1]["label"] == "Traitée"


def test_old_requests_keep_their_version_and_still_read_correctly(published, org_admin, citizen):
    v1 = published.current_version
    request = create_request(
        organisation=published.organisation, version=v1, procedure=published, citizen=citizen,
        state=ServiceRequest.State.SUBMITTED, data={"nom": "Martin", "motif": "mariage"}, status="recue",
    )
    # The form changes: the "motif" choice gets other values, a field is renamed, a page is added.
    form = copy.deepcopy(published.draft_form)
    form["pages"][0]["fields"][1]["choices"] = [{"value": "deces", "label": "Acte de décès"}]
    form["pages"][0]["fields"][0]["label"] = "Nom de famille"
    form["pages"].append({"id": "suite", "title": "Suite", "condition": None,
                          "fields": [{"id": "commentaire", "type": "textarea", "label": "Commentaire"}]})
    published.draft_form = form
    published.title = "Acte d'état civil (nouveau)"
    published.save()
    v2 = services.publish(published, org_admin)
    assert v2.number == 2

    request.refresh_from_db()
    assert request.version == v1
    assert request.title == "Demande d'acte d'état civil"
    pages = summary(request.version.form, request.data)
    assert pages[0][0] == "Vous"
    assert ("Nom", "Martin") in pages[0][1]
    assert ("Motif", "Acte de mariage") in pages[0][1]
    assert all(title != "Suite" for title, _rows in pages)
    # A version with requests cannot be deleted from under them.
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        v1.delete()


def test_publication_refused_lists_every_problem(organisation, org_admin):
    broken_workflow = make_workflow(organisation, slug="casse", definition={
        "initial": "recue",
        "statuses": [{"id": "recue", "label": "Reçue", "colour": "#1f4e8c", "visible": True, "final": False,
                      "on_enter": [], "buttons": [], "timers": []},
                     {"id": "orpheline", "label": "Orpheline", "colour": "#1f4e8c", "visible": True,
                      "final": True, "on_enter": [], "buttons": [], "timers": []}],
    })
    procedure = make_procedure(organisation, workflow=broken_workflow, form={"pages": [
        {"id": "p1", "title": "Page", "condition": None, "fields": [
            {"id": "x", "type": "inconnu", "label": "X"},
            {"id": "y", "type": "choice", "label": "Y", "choices": []},
        ]}]})
    procedure.short_description = ""
    procedure.save()
    with pytest.raises(services.PublicationRefused) as refused:
        services.publish(procedure, org_admin)
    text = " | ".join(str(problem) for problem in refused.value.problems)
    assert "Décrivez la démarche" in text
    assert "Formulaire (pages[0].fields[0]" in text
    assert "Formulaire (pages[0].fields[1]" in text
    assert "Circuit « Circuit" in text or "Circuit «" in text
    assert len([p for p in refused.value.problems if p.path.startswith("Circuit")]) >= 2  # unreachable + no way out
    procedure.refresh_from_db()
    assert procedure.state == Procedure.State.DRAFT
    assert procedure.current_version is None
    assert not ProcedureVersion.objects.exists()


def test_publication_needs_a_workflow_and_a_form(organisation, org_admin):
    procedure = make_procedure(organisation, form={"pages": []})
    procedure.workflow = None
    procedure.save()
    with pytest.raises(services.PublicationRefused) as refused:
        services.publish(procedure, org_admin)
    messages = [problem.message for problem in refused.value.problems]
    assert "Choisissez le circuit de traitement de la démarche." in messages
    assert any("aucune page" in message for message in messages)


def test_archived_procedure_published_again_keeps_its_version(published, org_admin):
    services.archive(published)
    assert published.state == Procedure.State.ARCHIVED
    version = services.publish(published, org_admin)
    published.refresh_from_db()
    assert version.number == 1 and published.state == Procedure.State.PUBLISHED


def test_search_text_is_normalised(published):
    published.keywords = "Œuvre, Élection"
    published.save()
    published.refresh_from_db()
    assert "oeuvre" in published.search_text and "election" in published.search_text
    assert "demande d acte d etat civil" in published.search_text
