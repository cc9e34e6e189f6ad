"""The GeoReport v2 specification's own examples (wiki.open311.org/GeoReport_v2): our answers have the same
elements, in the same order and structure, in XML and JSON, and the example requests are accepted."""

import json

import pytest
from lxml import etree

from guichet.service_requests.models import RequestEvent

from .conftest import report, xml

pytestmark = pytest.mark.django_db

# GET Service List — the wiki's sample response.
SERVICES_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<services>
    <service>
        <service_code>001</service_code>
        <service_name>Cans left out 24x7</service_name>
        <description>Garbage or recycling cans that have been left out for more than 24 hours after collection. Violators will be cited.</description>
        <metadata>true</metadata>
        <type>realtime</type>
        <keywords>lorem, ipsum, dolor</keywords>
        <group>sanitation</group>
    </service>
</services>"""
SERVICES_JSON = """[
  {"service_code": "001", "service_name": "Cans left out 24x7",
   "description": "Garbage or recycling cans that have been left out for more than 24 hours after collection. Violators will be cited.",
   "metadata": true, "type": "realtime", "keywords": "lorem, ipsum, dolor", "group": "sanitation"}
]"""

# GET Service Definition.
DEFINITION_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<service_definition>
    <service_code>DMV66</service_code>
    <attributes>
        <attribute>
            <variable>true</variable>
            <code>WHISHETN</code>
            <datatype>singlevaluelist</datatype>
            <required>true</required>
            <datatype_description></datatype_description>
            <order>1</order>
            <description>What is the ticket/tag/DL number?</description>
            <values>
                <value>
                    <key>123</key>
                    <name>Ford</name>
                </value>
                <value>
                    <key>124</key>
                    <name>Chrysler</name>
                </value>
            </values>
        </attribute>
    </attributes>
</service_definition>"""
DEFINITION_JSON = """{
  "service_code": "DMV66",
  "attributes": [
    {"variable": true, "code": "WHISHETN", "datatype": "singlevaluelist", "required": true,
     "datatype_description": null, "order": 1, "description": "What is the ticket/tag/DL number?",
     "values": [{"key": 123, "name": "Ford"}, {"key": 124, "name": "Chrysler"}]}
  ]
}"""

# POST Service Request — the sample response (realtime: the id at once).
POST_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<service_requests>
    <request>
        <service_request_id>293944</service_request_id>
        <service_notice>The City will inspect and require the responsible party to correct within 24 hours and/or issue a Correction Notice or Notice of Violation of the Public Works Code</service_notice>
        <account_id/>
    </request>
</service_requests>"""
POST_JSON = """[{"service_request_id": 293944,
  "service_notice": "The City will inspect and require the responsible party to correct within 24 hours and/or issue a Correction Notice or Notice of Violation of the Public Works Code",
  "account_id": null}]"""

# GET service_request_id from a token.
TOKEN_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<service_requests>
    <request>
        <service_request_id>638344</service_request_id>
        <token>12345</token>
    </request>
</service_requests>"""
TOKEN_JSON = """[{"service_request_id": 638344, "token": 12345}]"""

# GET Service Requests / GET Service Request.
REQUESTS_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<service_requests>
    <request>
        <service_request_id>638344</service_request_id>
        <status>closed</status>
        <status_notes>Duplicate request.</status_notes>
        <service_name>Sidewalk and Curb Issues</service_name>
        <service_code>006</service_code>
        <description></description>
        <agency_responsible></agency_responsible>
        <service_notice></service_notice>
        <requested_datetime>2010-04-14T06:37:38-08:00</requested_datetime>
        <updated_datetime>2010-04-14T15:37:38-08:00</updated_datetime>
        <expected_datetime>2010-04-15T06:37:38-08:00</expected_datetime>
        <address>8TH AVE and JUDAH ST</address>
        <address_id>545483</address_id>
        <zipcode>94122</zipcode>
        <lat>37.762221815</lat>
        <long>-122.4651145</long>
        <media_url>http://city.gov.s3.amazonaws.com/requests/media/638344.jpg</media_url>
    </request>
</service_requests>"""
REQUESTS_JSON = """[{"service_request_id": 638344, "status": "closed", "status_notes": "Duplicate request.",
  "service_name": "Sidewalk and Curb Issues", "service_code": "006", "description": null,
  "agency_responsible": null, "service_notice": null, "requested_datetime": "2010-04-14T06:37:38-08:00",
  "updated_datetime": "2010-04-14T15:37:38-08:00", "expected_datetime": "2010-04-15T06:37:38-08:00",
  "address": "8TH AVE and JUDAH ST", "address_id": 545483, "zipcode": 94122, "lat": 37.762221815,
  "long": -122.4651145, "media_url": "http://city.gov.s3.amazonaws.com/requests/media/638344.jpg"}]"""

# Errors.
ERRORS_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<errors>
    <error>
        <code>403</code>
        <description>Invalid api_key received -- can't proceed with create_request.</description>
    </error>
</errors>"""
ERRORS_JSON = """[{"code": 403, "description": "Invalid api_key received -- can't proceed with create_request."}]"""

# Service discovery.
DISCOVERY_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<discovery>
    <changeset>2011-02-03 14:34</changeset>
    <contact>You can email or call for assistance api@sfgov.org +1 (555) 555-5555</contact>
    <key_service>You can request a key here: http://api.sfgov.org/request_key</key_service>
    <endpoints>
        <endpoint>
            <specification>http://wiki.open311.org/GeoReport_v2</specification>
            <url>http://open311.sfgov.org/v2</url>
            <changeset>2010-11-23 09:01</changeset>
            <type>production</type>
            <formats>
                <format>text/xml</format>
                <format>application/json</format>
            </formats>
        </endpoint>
    </endpoints>
</discovery>"""


def shape(element):
    """(tag, [shapes of the children]) with repeated list items collapsed to one."""
    children, seen = [], []
    for child in element:
        if child.tag in seen and len(child):
            continue
        seen.append(child.tag)
        children.append(shape(child))
    return element.tag, children


def keys(value):
    if isinstance(value, list):
        return [keys(value[0])] if value else []
    if isinstance(value, dict):
        return [(key, keys(item)) for key, item in value.items()]
    return None


def same_xml(ours, example):
    assert shape(ours) == shape(etree.fromstring(example))


def test_service_list(http, exposed):
    same_xml(xml(http.get("/open311/v2/services.xml")), SERVICES_XML)
    assert keys(http.get("/open311/v2/services.json").json()) == keys(json.loads(SERVICES_JSON))


def test_service_definition(organisation, service, http):
    from tests.service_requests.conftest import make_procedure

    form = {"pages": [{"id": "p", "title": "P", "condition": None, "fields": [
        {"id": "whishetn", "type": "choice", "label": "What is the ticket/tag/DL number?", "required": True,
         "choices": [{"value": "123", "label": "Ford"}, {"value": "124", "label": "Chrysler"}]}]}]}
    procedure = make_procedure(organisation, service, slug="dmv66", who="anyone", form=form)
    procedure.open311 = True
    procedure.save()
    ours = xml(http.get("/open311/v2/services/dmv66.xml"))
    same_xml(ours, DEFINITION_XML)
    assert ours.findtext("attributes/attribute/description") == "What is the ticket/tag/DL number?"
    assert keys(http.get("/open311/v2/services/dmv66.json").json()) == keys(json.loads(DEFINITION_JSON))


def test_post_service_request(http, exposed, api_key):
    # The wiki's example request: api_key, service_code, lat, long, email, device_id, account_id, first_name,
    # last_name, phone, description, media_url (form-encoded).
    data = {"api_key": api_key, "service_code": "nid-de-poule", "lat": "37.76524078", "long": "-122.4212043",
            "address_string": "1234 5th street", "email": "smit222@sfgov.edu", "device_id": "tt222111",
            "account_id": "123456", "first_name": "john", "last_name": "smith", "phone": "111111111",
            "description": "A large sinkhole is destroying the street",
            "media_url": "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg",
            "attribute[nature]": "nid"}
    response = http.post("/open311/v2/requests.xml", data)
    assert response.status_code == 200, response.content
    ours = xml(response)
    # Ours adds the token (tokens/{id} works too): the example's elements are all there, in order.
    example_tags = [child.tag for child in etree.fromstring(POST_XML).find("request")]
    our_tags = [child.tag for child in ours.find("request")]
    assert [tag for tag in our_tags if tag in example_tags] == example_tags
    token = ours.findtext("request/token")
    same_xml(xml(http.get(f"/open311/v2/tokens/{token}.xml")), TOKEN_XML)
    assert keys(http.get(f"/open311/v2/tokens/{token}.json").json()) == keys(json.loads(TOKEN_JSON))
    json_answer = http.post("/open311/v2/requests.json", data).json()
    expected = [key for key, _value in keys(json.loads(POST_JSON))[0]]
    assert [key for key in json_answer[0] if key in expected] == expected


def test_get_service_requests(http, exposed, api_key):
    http.post("/open311/v2/requests.json", {"api_key": api_key, **report()})
    same_xml(xml(http.get("/open311/v2/requests.xml")), REQUESTS_XML)
    assert keys(http.get("/open311/v2/requests.json").json()) == keys(json.loads(REQUESTS_JSON))
    code = http.get("/open311/v2/requests.json").json()[0]["service_request_id"]
    same_xml(xml(http.get(f"/open311/v2/requests/{code}.xml")), REQUESTS_XML)


def test_errors(http, exposed):
    response = http.post("/open311/v2/requests.xml", {**report(), "api_key": "wrong"})
    assert response.status_code == 403
    same_xml(xml(response), ERRORS_XML)
    response = http.post("/open311/v2/requests.json", {**report(), "api_key": "wrong"})
    assert keys(response.json()) == keys(json.loads(ERRORS_JSON))


def test_discovery(http, exposed):
    same_xml(xml(http.get("/open311/v2/discovery.xml")), DISCOVERY_XML)


def test_example_request_is_a_request_of_the_town(http, exposed, api_key):
    http.post("/open311/v2/requests.json", {"api_key": api_key, **report()})
    assert RequestEvent.objects.filter(kind=RequestEvent.Kind.SUBMITTED).count() == 1
