"""GeoReport v2 answers in JSON and XML.

A document is plain Python data (dicts, lists, strings, numbers, booleans, None, datetimes). JSON is the data as
it is (datetimes in W3C format); XML wraps it in the root element given, each list item in the element the
specification names for that list (`<services><service>…`, `<service_requests><request>…`, `<attributes>
<attribute>…`, `<values><value>…`, `<errors><error>…`), booleans as `true`/`false`, None as an empty element.
"""

import datetime
import json
import re

from django.http import HttpResponse
from django.utils import timezone
from lxml import etree

# Characters XML 1.0 cannot carry (dropped from the XML answers and from the parameters received), with the lone
# surrogates a JSON body may smuggle in ("\ud800"): no UTF-8 encoding, no PostgreSQL text, no XML can hold them.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# The element of each item of a list, by the list's element name.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "service_request_updates": "request_update",
}


def w3c(value):
    """`2026-12-01T14:05:00+01:00`: local time of the collectivité (Europe/Paris) with its offset, to the second."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return timezone.localtime(value).replace(microsecond=0).isoformat()
    return value.isoformat()


def _plain(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return w3c(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return XML_INVALID.sub("", str(_plain(value)))


def _fill(element, value):
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(etree.SubElement(element, key), item)
    elif isinstance(value, (list, tuple)):
        item_name = ITEM_NAMES.get(element.tag, "item")
        for item in value:
            _fill(etree.SubElement(element, item_name), item)
    else:
        text = _text(value)
        if text:
            element.text = text


def to_json(data):
    return json.dumps(_plain(data), ensure_ascii=False, indent=2)


def to_xml(root, data):
    element = etree.Element(root)
    _fill(element, data)
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def respond(fmt, root, data, status=200):
    """The answer in `fmt` ("json" or "xml"); `root` is the XML root element (JSON has no root)."""
    if fmt == "xml":
        body = to_xml(root, data)
    else:
        fmt = "json"
        body = to_json(data)
    return HttpResponse(body, status=status, content_type=FORMATS[fmt])


def errors(fmt, status, descriptions):
    """GeoReport's error answer: `[{"code": 400, "description": "…"}]` / `<errors><error><code/><description/>`."""
    items = [{"code": status, "description": str(text)} for text in descriptions]
    return respond(fmt, "errors", items, status=status)
