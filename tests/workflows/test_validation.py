"""Validation of workflow definitions: every rule, with its location."""

import pytest

from guichet.workflows.validation import is_publishable, validate_workflow

from .conftest import workflow_definition


def problems(defn):
    return {(p.location, p.message) for p in validate_workflow(defn)}


def locations(defn):
    return {p.location for p in validate_workflow(defn)}


def test_the_sample_workflow_is_valid():
    assert validate_workflow(workflow_definition()) == []
    assert is_publishable(workflow_definition())


def test_default_definition_of_a_new_workflow_is_valid():
    from guichet.workflows.models import default_definition

    assert validate_workflow(default_definition()) == []


@pytest.mark.parametrize("defn", [None, [], "texte", {"statuses": []}, {"statuses": "x"}])
def test_not_a_definition(defn):
    found = validate_workflow(defn)
    assert found and all(isinstance(p.message, str) and p.message for p in found)
    assert not is_publishable(defn)


def test_initial_status_must_exist_and_be_one():
    defn = workflow_definition()
    defn["initial"] = "inconnu"
    assert "initial" in locations(defn)
    defn["initial"] = ["recue", "acceptee"]
    assert any("exactement un statut initial" in m for loc, m in problems(defn) if loc == "initial")
    del defn["initial"]
    assert "initial" in locations(defn)


def test_status_ids_labels_colours_flags():
    defn = workflow_definition()
    defn["statuses"][1]["id"] = "Recue !"
    defn["statuses"][2]["label"] = ""
    defn["statuses"][3]["colour"] = "bleu"
    defn["statuses"][4]["visible"] = "oui"
    defn["statuses"][5]["id"] = "recue"
    found = locations(defn)
    assert {"statuses[1].id", "statuses[2].label", "statuses[3].colour", "statuses[4].visible",
            "statuses[5].id"} <= found
    assert any("Deux statuts" in m for loc, m in problems(defn) if loc == "statuses[5].id")


def test_unreachable_status():
    defn = workflow_definition()
    defn["statuses"].append({"id": "orphelin", "label": "Orphelin", "colour": "#1f4e8c", "final": True})
    assert ("statuses[6]", "Le statut « Orphelin » ne peut pas être atteint depuis le statut initial.") in problems(defn)


def test_non_final_status_needs_a_way_out():
    defn = workflow_definition()
    defn["statuses"][1]["buttons"] = [{"id": "noter", "label": "Noter", "roles": ["agent"],
                                       "actions": [{"type": "note"}]}]
    found = problems(defn)
    assert any(loc == "statuses[1]" and "aucune sortie" in m for loc, m in found)


def test_final_status_has_no_timer():
    defn = workflow_definition()
    defn["statuses"][3]["timers"] = [{"after_days": 3, "goto": "recue"}]
    assert "statuses[3].timers" in locations(defn)


def test_timers_rules():
    defn = workflow_definition()
    defn["statuses"][0]["timers"] = [
        {"after_days": 0, "goto": "classee"},
        {"after_days": 3, "on_deadline": True, "goto": "classee"},
        {"after_days": 3, "goto": "nulle-part"},
        {"on_deadline": "oui", "goto": "classee"},
    ]
    found = locations(defn)
    assert {"statuses[0].timers[0].after_days", "statuses[0].timers[1]", "statuses[0].timers[2].goto",
            "statuses[0].timers[3].on_deadline"} <= found


def test_buttons_rules():
    defn = workflow_definition()
    buttons = defn["statuses"][0]["buttons"]
    buttons[1]["id"] = "accepter"
    buttons[2]["roles"] = ["maire"]
    buttons[3]["roles"] = []
    buttons[3]["actions"] = []
    buttons[0]["label"] = " " * 0
    found = locations(defn)
    assert {"statuses[0].buttons[1].id", "statuses[0].buttons[2].roles", "statuses[0].buttons[3].roles",
            "statuses[0].buttons[3].actions", "statuses[0].buttons[0].label"} <= found


@pytest.mark.parametrize("action, location", [
    ({"type": "explose"}, "type"),
    ({"type": "goto", "status": "nulle-part"}, "status"),
    ({"type": "goto"}, "status"),
    ({"type": "assign"}, ""),
    ({"type": "assign", "service": "etat civil !"}, "service"),
    ({"type": "assign", "agent": "pas-un-courriel"}, "agent"),
    ({"type": "notify", "to": "maire", "message": "message.free"}, "to"),
    ({"type": "notify", "to": "citizen", "message": "inconnu.kind"}, "message"),
    ({"type": "notify", "to": "address", "message": "message.free", "address": "x"}, "address"),
    ({"type": "request_info", "then": "nulle-part"}, "then"),
    ({"type": "generate_document", "title": "Attestation", "template": "{% for x in y %}{% endfor %}"}, "template"),
    ({"type": "generate_document", "title": "Attestation", "template": "{{ inconnue.variable }}"}, "template"),
    ({"type": "generate_document", "title": "", "template": "Bonjour"}, "title"),
    ({"type": "webhook", "url": "ftp://example.org/hook", "secret": "0123456789abcdef"}, "url"),
    ({"type": "webhook", "url": "javascript:alert(1)", "secret": "0123456789abcdef"}, "url"),
    ({"type": "webhook", "url": "https://example.org/hook", "secret": "court"}, "secret"),
    ({"type": "set_deadline"}, ""),
    ({"type": "set_deadline", "days": -2}, "days"),
    ({"type": "set_deadline", "days": 3, "from_procedure": True}, ""),
    ({"type": "anonymise_after", "days": "365"}, "days"),
])
def test_malformed_actions_are_located(action, location):
    defn = workflow_definition()
    defn["statuses"][0]["buttons"][0]["actions"].insert(0, action)
    expected = "statuses[0].buttons[0].actions[0]" + (f".{location}" if location else "")
    assert expected in locations(defn), validate_workflow(defn)


def test_on_enter_actions_needing_agent_input_are_refused():
    defn = workflow_definition()
    defn["statuses"][0]["on_enter"] = [{"type": "note"}, {"type": "request_info", "then": "recue"},
                                       {"type": "assign", "agent": "self"}]
    found = locations(defn)
    assert {"statuses[0].on_enter[0].text", "statuses[0].on_enter[1].message", "statuses[0].on_enter[2].agent"} <= found


def test_well_formed_actions_are_accepted():
    defn = workflow_definition()
    defn["statuses"][0]["buttons"][0]["actions"][:0] = [
        {"type": "assign", "service": "etat-civil"},
        {"type": "assign", "agent": "self"},
        {"type": "notify", "to": "citizen", "message": "message.free", "text": "Bonjour"},
        {"type": "notify", "to": "address", "address": "elus@example.org", "message": "message.free"},
        {"type": "generate_document", "title": "Attestation",
         "template": "Demande {{ demande.code }} de {{ demandeur.nom }} : {{ reponses.motif|upper }}"},
        {"type": "webhook", "url": "https://example.org/hook", "secret": "0123456789abcdef"},
        {"type": "set_deadline", "days": 5, "working_days": True},
        {"type": "anonymise_after", "days": 30},
    ]
    assert validate_workflow(defn) == []


def test_endless_automatic_loop_is_reported():
    defn = {"initial": "a", "statuses": [
        {"id": "a", "label": "A", "colour": "#1f4e8c", "on_enter": [{"type": "goto", "status": "b"}]},
        {"id": "b", "label": "B", "colour": "#1f4e8c", "on_enter": [{"type": "goto", "status": "a"}]},
    ]}
    found = [p for p in validate_workflow(defn) if "Boucle" in p.message]
    assert len(found) == 1 and found[0].location.endswith(".on_enter")


def test_unknown_property_is_reported():
    defn = workflow_definition()
    defn["statuses"][0]["couleur"] = "#fff"
    assert "statuses[0].couleur" in locations(defn)


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.sampled_from(
        ["recue", "acceptee", "goto", "note", "notify", "#1f4e8c", "agent", "citizen", "message.free"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "label", "colour", "type", "status", "then", "buttons", "actions", "timers",
                         "on_enter", "roles", "goto", "after_days", "on_deadline", "final", "visible", "to",
                         "message", "initial", "statuses", "days", "template", "title", "url", "secret"]),
        children, max_size=6),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_random_definitions_never_crash_the_validator_or_the_diagram(defn):
    import xml.etree.ElementTree as ET

    from guichet.workflows.diagram import render_svg, text_alternative

    found = validate_workflow(defn)
    assert all(isinstance(p.location, str) and p.message for p in found)
    ET.fromstring(render_svg(defn))
    text_alternative(defn)
