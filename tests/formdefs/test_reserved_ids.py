"""A form page cannot take the id of a step of the citizen's journey (contact details, summary)."""

import pytest

from guichet.formdefs import validate_definition
from guichet.service_requests.services import CONTACT_STEP


@pytest.mark.parametrize("page_id", [CONTACT_STEP, "recapitulatif"])
def test_journey_step_ids_are_reserved_for_pages(page_id):
    definition = {"pages": [{"id": page_id, "title": "Vos coordonnées", "fields": [
        {"id": "nom", "type": "text", "label": "Nom", "required": True}]}]}
    problems = validate_definition(definition)
    assert [(p.path, "réservé" in p.message) for p in problems] == [("pages[0].id", True)]
