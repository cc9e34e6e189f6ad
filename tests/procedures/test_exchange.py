"""Export and import of procedures (guichet-procedure/1): round trip, every problem with its location, nothing
created on error, workflow reuse, service mapping; the shipped catalogue."""

import copy
import json

import pytest

from guichet.agents.models import Service
from guichet.procedures import exchange, services
from guichet.procedures.models import Procedure, ProcedureVersion
from guichet.workflows.models import Workflow
from tests.conftest import make_service
from tests.procedures.conftest import FORM, WORKFLOW


def document(**overrides):
    data = {
        "format": "guichet-procedure/1",
        "procedure": {
            "title": "Demande de salle", "slug": "demande-salle", "theme": "vie-associative",
            "short_description": "Réservez une salle municipale pour votre association.",
            "documents_needed": ["Statuts de l'association", "Attestation d'assurance"],
            "who_may_submit": "citizen", "service": "etat-civil", "deadline_amount": 15,
            "deadline_unit": "working_days", "silence_means": "refusal", "keywords": ["salle", "prêt"],
        },
        "form": copy.deepcopy(FORM),
        "workflow": {"name": "Circuit simple", "slug": "circuit-simple", "definition": copy.deepcopy(WORKFLOW)},
    }
    data.update(overrides)
    return data


def counts():
    return Procedure.objects.count(), Workflow.objects.count(), ProcedureVersion.objects.count()


def paths(failed):
    return {problem.path for problem in failed.value.problems}


def test_round_trip_between_two_collectivites(published, other_organisation, org_admin):
    exported = exchange.export_json(published)
    data = json.loads(exported)
    assert data["format"] == "guichet-procedure/1"
    assert data["procedure"]["service"] == "etat-civil"
    make_service(other_organisation)
    result = exchange.import_procedure(other_organisation, exported.encode())
    copy_ = result.procedure
    assert copy_.organisation == other_organisation
    assert copy_.state == Procedure.State.DRAFT and copy_.current_version is None
    assert (copy_.title, copy_.slug, copy_.theme, copy_.short_description, copy_.who_may_submit,
            copy_.deadline_amount, copy_.deadline_unit, copy_.silence_means) == (
        published.title, published.slug, published.theme, published.short_description, published.who_may_submit,
        published.deadline_amount, published.deadline_unit, published.silence_means)
    assert copy_.draft_form == published.draft_form
    assert copy_.workflow.organisation == other_organisation
    assert copy_.workflow.definition == published.workflow.definition
    assert copy_.service == Service.objects.get(organisation=other_organisation, slug="etat-civil")
    assert result.workflow_created
    # What was imported exports to the same document (but for the date).
    again = exchange.export_data(copy_)
    for key in ("procedure", "form", "workflow"):
        assert again[key] == data[key]
    # And it can be published as is.
    assert services.publish(copy_).number == 1


def test_import_lists_and_joins_settings(organisation, service):
    result = exchange.import_procedure(organisation, document())
    procedure = result.procedure
    assert procedure.documents_needed == "Statuts de l'association\nAttestation d'assurance"
    assert procedure.keywords == "salle, prêt"
    assert procedure.service == service
    assert result.notices == []


def test_unknown_service_is_left_empty_with_a_notice(organisation):
    result = exchange.import_procedure(organisation, document())
    assert result.procedure.service is None
    assert "« etat-civil » n'existe pas" in result.notices[0]


def test_identical_workflow_is_reused_a_different_one_is_not(organisation):
    first = exchange.import_procedure(organisation, document()).procedure
    second_doc = document()
    second_doc["procedure"]["slug"] = "autre-salle"
    second = exchange.import_procedure(organisation, second_doc)
    assert second.procedure.workflow == first.workflow and not second.workflow_created
    third_doc = document()
    third_doc["procedure"]["slug"] = "troisieme"
    third_doc["workflow"]["definition"]["statuses"][1]["label"] = "Close"
    third = exchange.import_procedure(organisation, third_doc)
    assert third.workflow_created and third.procedure.workflow.slug == "circuit-simple-2"
    assert Workflow.objects.filter(organisation=organisation).count() == 2


def test_broken_json_gives_its_line(organisation):
    before = counts()
    with pytest.raises(exchange.ImportFailed) as failed:
        exchange.import_procedure(organisation, b'{"format": "guichet-procedure/1",\n "procedure": {,}}')
    assert failed.value.problems[0].path == "fichier"
    assert "ligne 2" in failed.value.problems[0].message
    assert counts() == before


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", b"[1, 2, 3]", b'"texte"'])
def test_not_an_export(organisation, content):
    with pytest.raises(exchange.ImportFailed) as failed:
        exchange.import_procedure(organisation, content)
    assert paths(failed) == {"fichier"}


def test_wrong_format_tag(organisation):
    with pytest.raises(exchange.ImportFailed) as failed:
        exchange.import_procedure(organisation, document(format="guichet-procedure/9"))
    assert paths(failed) == {"format"}
    assert "guichet-procedure/9" in failed.value.problems[0].message


def test_every_problem_is_reported_with_its_location(organisation, procedure):
    data = document()
    data["procedure"].update({"slug": procedure.slug, "theme": "astronomie", "deadline_amount": -3,
                              "who_may_submit": "martiens", "titel": "coquille"})
    data["procedure"].pop("title")
    data["form"]["pages"][0]["fields"].append({"id": "photo", "type": "hologramme", "label": "Photo"})
    data["form"]["pages"][0]["fields"][1]["choices"] = "pas une liste"
    data["workflow"]["definition"]["statuses"][0]["buttons"][0]["actions"][0]["status"] = "nulle-part"
    data["extra"] = True
    before = counts()
    with pytest.raises(exchange.ImportFailed) as failed:
        exchange.import_procedure(organisation, json.dumps(data))
    found = paths(failed)
    for expected in ("procedure.slug", "procedure.theme", "procedure.deadline_amount", "procedure.who_may_submit",
                     "procedure.titel", "procedure.title", "form.pages[0].fields[2].type",
                     "form.pages[0].fields[1].choices", "extra"):
        assert expected in found, (expected, found)
    assert any(path.startswith("workflow.definition.statuses[0].buttons[0].actions[0]") for path in found), found
    messages = " ".join(problem.message for problem in failed.value.problems)
    assert "déjà l'identifiant" in messages and "astronomie" in messages
    assert counts() == before


def test_missing_parts(organisation):
    with pytest.raises(exchange.ImportFailed) as failed:
        exchange.import_procedure(organisation, {"format": "guichet-procedure/1"})
    assert {"procedure", "form", "workflow"} <= paths(failed)


def test_workflow_without_definition(organisation):
    with pytest.raises(exchange.ImportFailed) as failed:
        exchange.import_procedure(organisation, document(workflow={"name": ""}))
    assert {"workflow.name", "workflow.definition"} <= paths(failed)


def test_slug_override_for_a_second_copy(organisation, procedure):
    data = document()
    data["procedure"]["slug"] = procedure.slug
    result = exchange.import_procedure(organisation, data, slug="copie-salle")
    assert result.procedure.slug == "copie-salle"


def test_export_of_a_version(published, org_admin):
    published.draft_form = {"pages": []}
    published.save()
    data = exchange.export_data(published, published.current_version)
    assert data["form"] == FORM
    assert exchange.export_filename(published, published.current_version) == "demarche-acte-etat-civil-v1.json"


# --- the shipped catalogue ------------------------------------------------------------------------------------


def test_catalogue_entries_are_listed():
    entries = exchange.catalogue_entries()
    assert len(entries) >= 20
    assert all(entry.path.name == f"{entry.key}.json" for entry in entries)


def test_catalogue_import_published_and_idempotent_load(organisation, org_admin):
    entries = exchange.catalogue_entries()
    result = exchange.import_catalogue_procedure(organisation, entries[0].key, org_admin)
    assert result.procedure.state == Procedure.State.PUBLISHED
    assert result.procedure.current_version.number == 1
    imported = exchange.load_catalogue(organisation)
    assert len(imported) == len(entries) - 1
    assert exchange.load_catalogue(organisation) == []
    assert Procedure.objects.filter(organisation=organisation, state="published").count() == len(entries)


def test_unknown_catalogue_entry(organisation):
    for key in ("n-existe-pas", "../settings", ""):
        with pytest.raises(exchange.ImportFailed):
            exchange.import_catalogue_procedure(organisation, key)
    assert not Procedure.objects.exists()


def test_the_intercommunal_flag_travels_with_the_procedure(organisation, service):
    """« Tenir informée la mairie de la commune concernée » is exported and imported; a non-boolean is refused."""
    data = document()
    data["procedure"]["inform_member_commune"] = True
    imported = exchange.import_procedure(organisation, json.dumps(data)).procedure
    assert imported.inform_member_commune is True
    assert exchange.export_data(imported)["procedure"]["inform_member_commune"] is True
    data = document(procedure={**document()["procedure"], "slug": "autre-salle", "inform_member_commune": "oui"})
    with pytest.raises(exchange.ImportFailed) as failed:
        exchange.import_procedure(organisation, json.dumps(data))
    assert "procedure.inform_member_commune" in paths(failed)
