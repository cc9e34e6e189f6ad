"""discovery, services and services/{code}: the GeoReport v2 examples' structure, in JSON and XML."""

import json

import pytest

from .conftest import xml

pytestmark = pytest.mark.django_db


def test_discovery_json_and_xml(http, exposed):
    data = http.get("/open311/v2/discovery.json").json()
    assert set(data) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://saint-aubin.localhost/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["type"] == "production"
    root = xml(http.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]
    assert root.findtext("endpoints/endpoint/specification") == "http://wiki.open311.org/GeoReport_v2"


def test_service_list_like_the_specification(http, exposed, hidden, django_assert_max_num_queries):
    # The wiki's example: [{"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}]
    with django_assert_max_num_queries(3):
        response = http.get("/open311/v2/services.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = response.json()
    assert services == [{
        "service_code": "nid-de-poule", "service_name": "Signaler un nid-de-poule",
        "description": exposed.short_description, "metadata": True, "type": "realtime",
        "keywords": "voirie, chaussée", "group": "Services techniques",
    }]
    root = xml(http.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    (service,) = root.findall("service")
    assert [child.tag for child in service] == [
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
    assert service.findtext("metadata") == "true"
    assert service.findtext("type") == "realtime"


def test_unpublished_and_other_collectivite_procedures_are_not_services(http, exposed, other_organisation,
                                                                         service):
    from tests.service_requests.conftest import make_procedure

    from guichet.agents.models import Service

    other_service = Service.objects.create(organisation=other_organisation, name="Voirie", slug="voirie")
    foreign = make_procedure(other_organisation, other_service, slug="trottoir", who="anyone")
    foreign.open311 = True
    foreign.save()
    draft = make_procedure(exposed.organisation, service, slug="brouillon", publish=False)
    draft.open311 = True
    draft.save()
    assert [s["service_code"] for s in http.get("/open311/v2/services.json").json()] == ["nid-de-poule"]
    assert http.get("/open311/v2/services/trottoir.json").status_code == 404
    assert http.get("/open311/v2/services/brouillon.json").status_code == 404


def test_service_definition_maps_the_form_fields(http, exposed):
    response = http.get("/open311/v2/services/nid-de-poule.json")
    assert response.status_code == 200
    definition = response.json()
    assert definition["service_code"] == "nid-de-poule"
    attributes = {a["code"]: a for a in definition["attributes"]}
    # Description, address, file and the contact fields (first/last name) are not attributes.
    assert list(attributes) == ["nature", "danger", "genres", "taille", "constat", "repere"]
    assert [a["order"] for a in definition["attributes"]] == [1, 2, 3, 4, 5, 6]
    assert attributes["nature"] == {
        "variable": True, "code": "nature", "datatype": "singlevaluelist", "required": True,
        "datatype_description": None, "order": 1, "description": "Nature du problème",
        "values": [{"key": "nid", "name": "Nid-de-poule"}, {"key": "eclairage", "name": "Éclairage"}],
    }
    assert attributes["danger"]["datatype"] == "singlevaluelist"
    assert attributes["danger"]["values"] == [{"key": "true", "name": "Oui"}, {"key": "false", "name": "Non"}]
    assert attributes["genres"]["datatype"] == "multivaluelist"
    assert attributes["taille"]["datatype"] == "number"
    assert attributes["constat"]["datatype"] == "datetime"
    assert attributes["repere"]["datatype"] == "string"
    assert "values" not in attributes["repere"]


def test_service_definition_xml_like_the_specification(http, exposed):
    root = xml(http.get("/open311/v2/services/nid-de-poule.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "nid-de-poule"
    first = root.find("attributes/attribute")
    assert [child.tag for child in first] == [
        "variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"]
    assert first.findtext("variable") == "true"
    assert first.findtext("required") == "true"
    assert first.findtext("datatype_description") == ""
    assert [(v.findtext("key"), v.findtext("name")) for v in first.findall("values/value")] == [
        ("nid", "Nid-de-poule"), ("eclairage", "Éclairage")]


def test_textarea_is_text_when_the_description_has_a_field_already(organisation, service, http):
    from tests.service_requests.conftest import make_procedure

    form = {"pages": [{"id": "p", "title": "P", "condition": None, "fields": [
        {"id": "details", "type": "textarea", "label": "Détails", "required": False},
        {"id": "autre", "type": "textarea", "label": "Autre chose", "required": False},
    ]}]}
    procedure = make_procedure(organisation, service, slug="texte", who="anyone", form=form)
    procedure.open311 = True
    procedure.save()
    (only,) = http.get("/open311/v2/services/texte.json").json()["attributes"]
    assert (only["code"], only["datatype"]) == ("autre", "text")


def test_unknown_service_code_and_procedure_not_ticked(http, exposed, hidden):
    for path in ("/open311/v2/services/inconnu.json", "/open311/v2/services/acte-etat-civil.json"):
        response = http.get(path)
        assert response.status_code == 404
        (error,) = response.json()
        assert error["code"] == 404 and "inconnu" in error["description"]
    root = xml(http.get("/open311/v2/services/inconnu.xml"))
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"


def test_unknown_format_extension(http, exposed):
    response = http.get("/open311/v2/services.html")
    assert response.status_code == 404
    assert "Format" in response.json()[0]["description"]
    assert http.get("/open311/v2/services").status_code == 404


def test_jurisdiction_id(http, exposed):
    assert http.get("/open311/v2/services.json", {"jurisdiction_id": "saint-aubin"}).status_code == 200
    assert http.get("/open311/v2/services.json", {"jurisdiction_id": "saint-aubin.localhost"}).status_code == 200
    response = http.get("/open311/v2/services.xml", {"jurisdiction_id": "montclair"})
    assert response.status_code == 404
    assert "jurisdiction_id" in xml(response).findtext("error/description")


def test_admin_form_shows_the_open311_checkbox(organisation, org_admin, exposed):
    from tests.conftest import client_for

    response = client_for(organisation, org_admin).get(f"/agents/admin/demarches/{exposed.pk}/reglages/")
    assert response.status_code == 200
    import re

    (tag,) = re.findall(r'<input[^>]*name="open311"[^>]*>', response.content.decode())
    assert "checked" in tag and 'type="checkbox"' in tag


def test_json_is_utf8(http, exposed):
    body = http.get("/open311/v2/services.json").content.decode("utf-8")
    assert "chaussée" in body
    json.loads(body)


def test_admin_form_saves_the_open311_checkbox(organisation, hidden):
    from guichet.procedures.forms import ProcedureSettingsForm

    form = ProcedureSettingsForm(instance=hidden, organisation=organisation)
    data = {name: form.initial.get(name) for name in form.fields if form.initial.get(name) is not None}
    data.update({"open311": "on", "service": hidden.service_id, "workflow": hidden.workflow_id})
    bound = ProcedureSettingsForm(data, instance=hidden, organisation=organisation)
    assert bound.is_valid(), bound.errors
    bound.save()
    hidden.refresh_from_db()
    assert hidden.open311 is True
    assert "/open311/v2/" in str(bound.fields["open311"].help_text)


def test_help_text_and_conditional_required_fields(organisation, service, http, api_key):
    from tests.service_requests.conftest import make_procedure

    form = {"pages": [{"id": "p", "title": "P", "condition": None, "fields": [
        {"id": "type", "type": "choice", "label": "Type", "required": True, "help": "Le plus proche.",
         "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
        {"id": "precision_b", "type": "text", "label": "Précisez", "required": True,
         "condition": {"field": "type", "op": "eq", "value": "b"}},
    ]}]}
    procedure = make_procedure(organisation, service, slug="conditionnel", who="anyone", form=form)
    procedure.open311 = True
    procedure.save()
    first, second = http.get("/open311/v2/services/conditionnel.json").json()["attributes"]
    assert first["datatype_description"] == "Le plus proche." and first["required"] is True
    assert second["required"] is False
    base = {"api_key": api_key, "service_code": "conditionnel", "lat": "48.7", "long": "6.2",
            "email": "a@example.org", "first_name": "A", "last_name": "B"}
    assert http.post("/open311/v2/requests.json", {**base, "attribute[type]": "a"}).status_code == 200
    refused = http.post("/open311/v2/requests.json", {**base, "attribute[type]": "b"})
    assert refused.status_code == 400
    assert refused.json()[0]["description"].startswith("attribute[precision_b] : ")
