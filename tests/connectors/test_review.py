"""Review of issue 7: odd answers of the called service are ConnectorErrors or text, never a crash."""

import pytest

from guichet.connectors.services import ConnectorError, call, try_connection

from .conftest import Service, answer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("content_type", ["text/plain; charset=n-importe-quoi", "text/plain; charset=\"\"",
                                          "text/plain; charset=utf-7x"])
def test_a_made_up_charset_is_read_as_utf8(connector, content_type):
    Service.default = answer(200, content="réponse".encode(), content_type=content_type)
    assert call(connector, "GET").text == "réponse"
    ok, summary, _response = try_connection(connector)
    assert ok, summary


def test_a_made_up_charset_on_an_error_is_still_the_french_error(connector):
    Service.default = answer(503, content=b"indisponible", content_type="text/html; charset=zz-top")
    with pytest.raises(ConnectorError) as raised:
        call(connector, "POST", "/dossiers", json={})
    assert raised.value.status == 503 and raised.value.retryable and raised.value.body == "indisponible"


def test_the_declared_charset_is_used(connector):
    Service.default = answer(200, content="élève".encode("latin-1"), content_type="text/plain; charset=ISO-8859-1")
    assert call(connector, "GET").text == "élève"
