"""connectors.services.call and the response mapping, against a real local HTTP service."""

import base64
import json

import pytest

from guichet.connectors import signing
from guichet.connectors.models import Connector
from guichet.connectors.services import (
    MAX_RESPONSE_BYTES, ConnectorError, apply_mapping, build_url, call, check_mapping, check_path,
)

from .conftest import HMAC_SECRET, Service, answer, make_connector


def test_call_sends_json_to_the_joined_path_and_reads_json(connector):
    Service.default = answer(201, {"dossier": {"numero": "EC-2026-001"}})
    response = call(connector, "POST", "/dossiers", json={"nom": "Martin", "prénom": "Léa"}, params={"v": "2"})
    assert response.status == 201 and response.json == {"dossier": {"numero": "EC-2026-001"}}
    assert response.duration > 0 and response.headers["Content-Type"] == "application/json"
    sent = Service.calls[-1]
    assert sent["method"] == "POST" and sent["path"] == "/api/v2/dossiers?v=2"
    assert json.loads(sent["body"]) == {"nom": "Martin", "prénom": "Léa"}
    assert sent["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert sent["headers"]["User-Agent"].startswith("Guichet-connecteur")
    connector.refresh_from_db()
    assert connector.last_status == 201 and connector.last_error == "" and connector.last_called_at


def test_text_answer_is_kept_as_text(connector):
    Service.default = answer(200, content="bonjour".encode(), content_type="text/plain; charset=utf-8")
    response = call(connector, "GET")
    assert response.json is None and response.text == "bonjour"
    assert Service.calls[-1]["path"] == "/api/v2"


@pytest.mark.parametrize("kind, fields, check", [
    (Connector.Auth.NONE, {}, lambda h: "Authorization" not in h and "X-Guichet-Signature" not in h),
    (Connector.Auth.BEARER, {"secret": "jeton-123"}, lambda h: h["Authorization"] == "Bearer jeton-123"),
    (Connector.Auth.BASIC, {"username": "guichet", "secret": "mot de passe"},
     lambda h: h["Authorization"] == "Basic " + base64.b64encode(b"guichet:mot de passe").decode()),
    (Connector.Auth.API_KEY, {"header_name": "X-Api-Key", "secret": "cle-456"},
     lambda h: h["X-Api-Key"] == "cle-456" and "Authorization" not in h),
])
def test_each_authentication_is_sent(organisation, service_server, kind, fields, check):
    connector = make_connector(organisation, service_server, auth_kind=kind,
                               headers={"X-Commune": "54470"}, **fields)
    call(connector, "GET", "/sante")
    headers = Service.calls[-1]["headers"]
    assert check(headers)
    assert headers["X-Commune"] == "54470"


def test_hmac_signature_is_verified_by_the_service(organisation, service_server):
    def verify(handler, body):
        ok = signing.verify(HMAC_SECRET, body, handler.headers.get(signing.HEADER))
        return (200 if ok else 401), {"Content-Type": "application/json"}, b'{"signed": true}', 0

    Service.default = verify
    connector = make_connector(organisation, service_server, auth_kind=Connector.Auth.HMAC, secret=HMAC_SECRET)
    assert call(connector, "POST", "/recu", json={"a": 1}).json == {"signed": True}
    wrong = make_connector(organisation, service_server, slug="faux", auth_kind=Connector.Auth.HMAC,
                           secret="un-autre-secret-assez-long")
    with pytest.raises(ConnectorError) as refused:
        call(wrong, "POST", "/recu", json={"a": 1})
    assert refused.value.status == 401 and not refused.value.retryable
    assert "code 401" in refused.value.message


def test_time_out(organisation, service_server):
    Service.default = answer(200, {"ok": True}, pause=2.5)
    connector = make_connector(organisation, service_server, timeout_seconds=1)
    with pytest.raises(ConnectorError) as error:
        call(connector, "GET")
    assert error.value.retryable and "n'a pas répondu à temps (1 s)" in error.value.message
    connector.refresh_from_db()
    assert connector.last_error.startswith("Le service n'a pas répondu") and connector.last_status is None


def test_a_service_that_drips_its_answer_is_cut_at_the_time_out(organisation, service_server):
    """Each byte comes before the socket's time-out, but the whole answer must arrive within it too."""
    Service.default = answer(200, content=b'{"a": "' + b"x" * 40 + b'"}', headers={"X-Test-Drip": "0.05"})
    connector = make_connector(organisation, service_server, timeout_seconds=1)
    with pytest.raises(ConnectorError) as error:
        call(connector, "GET")
    assert error.value.retryable and "n'a pas répondu à temps" in error.value.message


def test_connection_refused(organisation):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    connector = make_connector(organisation, f"http://127.0.0.1:{port}")
    with pytest.raises(ConnectorError) as error:
        call(connector, "GET")
    assert error.value.retryable and error.value.message.startswith("Connexion impossible au service")


@pytest.mark.parametrize("status, retryable", [(500, True), (503, True), (429, True), (404, False), (422, False)])
def test_non_2xx_carries_its_status(connector, status, retryable):
    Service.default = answer(status, {"erreur": "non"})
    with pytest.raises(ConnectorError) as error:
        call(connector, "POST", "/dossiers", json={})
    assert error.value.status == status and error.value.retryable is retryable
    assert error.value.message == f"Le service a répondu par une erreur (code {status})."
    assert '"erreur"' in error.value.body


def test_redirects_are_not_followed(connector):
    Service.default = answer(302, content=b"", headers={"Location": "http://example.org/ailleurs"})
    with pytest.raises(ConnectorError) as error:
        call(connector, "GET")
    assert error.value.status == 302 and "redirections ne sont pas suivies" in error.value.message
    assert len(Service.calls) == 1


def test_invalid_json(connector):
    Service.default = answer(200, content=b"{pas du json")
    with pytest.raises(ConnectorError) as error:
        call(connector, "GET")
    assert error.value.message == "La réponse du service n'est pas du JSON valide."
    Service.default = answer(200, content=b"<html></html>", content_type="text/html")
    with pytest.raises(ConnectorError):
        call(connector, "GET", expect_json=True)  # JSON expected (a mapping) whatever the type says
    Service.default = answer(204, content=b"", content_type="text/plain")
    with pytest.raises(ConnectorError) as error:
        call(connector, "GET", expect_json=True)
    assert "vide" in error.value.message


def test_oversized_response_is_refused(connector):
    Service.default = answer(200, content=b"x" * (MAX_RESPONSE_BYTES + 10), content_type="text/plain")
    with pytest.raises(ConnectorError) as error:
        call(connector, "GET")
    assert error.value.message == "Réponse trop volumineuse : 1 Mo au plus."
    Service.default = answer(200, content=b"x" * MAX_RESPONSE_BYTES, content_type="text/plain")
    assert len(call(connector, "GET").text) == MAX_RESPONSE_BYTES


@pytest.mark.parametrize("path", [
    "//evil.example.org/x", "http://evil.example.org/", "https:/\\evil.example.org", "/../admin", "/a/../../b",
    "/%2e%2e/admin", "/%252e%252e/admin", "/a//b", "/a?b=1", "/a#b", "/a b", "/a\r\nX-Injecte: 1", "\\\\evil/x",
    "/a/./b", "x" * 501,
])
def test_paths_that_would_leave_the_base_url_are_refused(connector, path):
    assert check_path(path)
    with pytest.raises(ConnectorError):
        call(connector, "GET", path)
    assert Service.calls == []


def test_paths_join_the_base_url(organisation):
    connector = make_connector(organisation, "https://metier.example.fr/api/")
    assert build_url(connector, "") == "https://metier.example.fr/api/"
    assert build_url(connector, "/dossiers/12") == "https://metier.example.fr/api/dossiers/12"
    assert build_url(connector, "dossiers") == "https://metier.example.fr/api/dossiers"
    assert build_url(connector, "/evil.example.org") == "https://metier.example.fr/api/evil.example.org"
    assert build_url(connector, "@evil.example.org") == "https://metier.example.fr/api/@evil.example.org"


def test_unknown_method_is_refused(connector):
    with pytest.raises(ConnectorError) as error:
        call(connector, "TRACE")
    assert "Méthode HTTP inconnue" in error.value.message


PAYLOAD = {"dossier": {"numero": "EC-12", "pieces": [{"nom": "acte"}, {"nom": "livret"}], "a/b": {"~c": 3},
                       "vide": None, "zero": 0}}


def test_mapping_of_nested_values():
    mapped = apply_mapping({
        "numero": "dossier.numero", "premiere_piece": "dossier.pieces.0.nom", "seconde": "/dossier/pieces/1/nom",
        "echappe": "/dossier/a~1b/~0c", "vide": "dossier.vide", "zero": "dossier.zero", "pieces": "dossier.pieces",
    }, PAYLOAD)
    assert dict(mapped) == {"numero": "EC-12", "premiere_piece": "acte", "seconde": "livret", "echappe": 3,
                            "vide": None, "zero": 0, "pieces": [{"nom": "acte"}, {"nom": "livret"}]}
    assert mapped.missing == []


def test_mapping_of_missing_paths():
    mapped = apply_mapping({"numero": "dossier.numero", "absent": "dossier.absent", "trop_loin": "dossier.numero.x",
                            "indice": "dossier.pieces.5.nom", "pas_un_indice": "dossier.pieces.-1"}, PAYLOAD)
    assert dict(mapped) == {"numero": "EC-12"}
    assert mapped.missing == ["absent", "trop_loin", "indice", "pas_un_indice"]
    assert apply_mapping({"x": "a"}, ["liste"]).missing == ["x"]
    assert apply_mapping({"x": "a"}, None).missing == ["x"]


def test_mapping_too_large_value_is_not_stored():
    mapped = apply_mapping({"gros": "texte"}, {"texte": "x" * 20_000})
    assert dict(mapped) == {} and mapped.missing == ["gros"]


@pytest.mark.parametrize("mapping, fragment", [
    ([], "objet JSON"),
    ({"Numéro": "a"}, "nom de variable valide"),
    ({"numero": ""}, "chemin de la valeur"),
    ({"numero": 3}, "chemin de la valeur"),
    ({"numero": "a..b"}, "étape vide"),
    ({f"v{n}": "a" for n in range(31)}, "30 correspondances au plus"),
])
def test_bad_mappings(mapping, fragment):
    problems = check_mapping(mapping)
    assert problems and any(fragment in message for _target, message in problems)


def test_good_mapping_has_no_problem():
    assert check_mapping({"numero_dossier": "dossier.numero", "piece": "/pieces/0"}) == []
