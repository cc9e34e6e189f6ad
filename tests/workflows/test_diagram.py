"""The diagram: valid SVG with the labels, readable colours, and its text alternative."""

import xml.etree.ElementTree as ET

from guichet.organisations.colours import contrast_ratio
from guichet.workflows.diagram import layout, render_svg, text_alternative, text_colour

from .conftest import workflow_definition

SVG = "{http://www.w3.org/2000/svg}"


def test_svg_is_well_formed_accessible_and_labelled():
    svg = render_svg(workflow_definition(), "Circuit <simple>")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Circuit <simple>"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for label in ("Reçue", "Acceptée", "Refusée", "Classée sans suite", "En retard"):
        assert label in texts
    assert "Accepter" in texts and "après 30 jours" in texts and "à la date limite" in texts
    assert len(root.findall(f".//{SVG}g[@class='status']")) == 6


def test_text_contrast_on_every_status_colour():
    for colour in ("#1f4e8c", "#ffff00", "#a4262c", "#f0f0f0", "#000000"):
        assert contrast_ratio(colour, text_colour(colour)) >= 4.5


def test_layout_is_layered_from_the_initial_status():
    positions = layout(workflow_definition())
    assert positions["recue"][0] == 0
    assert positions["acceptee"][0] == 1 and positions["instruction"][0] == 1
    defn = workflow_definition()
    defn["statuses"].append({"id": "orphelin", "label": "Orphelin", "colour": "#1f4e8c"})
    assert layout(defn)["orphelin"][0] == 2


def test_labels_are_escaped():
    defn = workflow_definition()
    defn["statuses"][0]["label"] = "<script>alert(1)</script>"
    svg = render_svg(defn)
    assert "<script>" not in svg
    ET.fromstring(svg)


def test_broken_definitions_still_render():
    for defn in ({}, {"statuses": "x"}, {"initial": "a", "statuses": [{"id": "a"}, "x", {"label": "sans id"}]}):
        ET.fromstring(render_svg(defn))
        text_alternative(defn)


def test_text_alternative_lists_every_transition():
    alternative = {label: (flags, ways) for label, flags, ways in text_alternative(workflow_definition())}
    flags, ways = alternative["Reçue"]
    assert "statut initial" in flags
    assert ("bouton « Accepter »", "Acceptée") in ways
    assert ("délai : après 30 jours", "Classée sans suite") in ways
    assert alternative["En retard"][0][-1] == "interne"
