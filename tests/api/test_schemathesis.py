"""schemathesis against the app's own /api/v1/openapi.json, through WSGI: every operation (examples, coverage and
fuzzing phases), then the stateful run following the OpenAPI links. No server error, no status code, content
type or response outside the document. Bounded (25 examples per operation, derandomised) to stay within a few
minutes on each database."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from guichet.service_requests.models import ServiceRequest
from tests.conftest import host_of, make_citizen

from .conftest import make_api_client

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
SETTINGS = settings(
    max_examples=25, derandomize=True, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
    phases=[Phase.explicit, Phase.generate],
)
application = get_wsgi_application()


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """schemathesis 4's lazy schema (from_fixture) reads `node._nodeid`, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection at the end of each request (request_finished); the test
    runs in one transaction on that connection, so the handlers are unplugged, as Django's test client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_data(organisation, catalogue, citizen):
    """Saint-Aubin's catalogue (tests/api/conftest.py) plus a submitted request of the citizen and an API client
    holding every scope."""
    from guichet.api.submission import submit_answers

    version = catalogue["civil"].current_version
    submitted = submit_answers(version, {"nom": "Martin", "prenom": "Camille", "motif": "naissance"},
                               citizen=citizen, channel=ServiceRequest.Channel.WEB)
    make_citizen(organisation, email="autre@example.org")
    client, secret = make_api_client(organisation, rate_limit=10_000)
    return {"request": submitted, "client": client, "secret": secret, "base_url": f"http://{host_of(organisation)}",
            "headers": {"Authorization": f"Bearer {secret}", "Host": host_of(organisation)}}


@pytest.fixture
def api_schema(api_data):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application,
                                            headers={"Host": api_data["headers"]["Host"]})
    schema.config.update(base_url=api_data["base_url"])
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@SETTINGS
def test_every_operation(case, api_data):
    case.call_and_validate(base_url=api_data["base_url"], headers=api_data["headers"], checks=CHECKS)


def test_stateful_links(api_schema, api_data, citizen):
    """Scenarios following the OpenAPI links (POST /requests → read, timeline, message, actions). Half of the
    submissions carry a valid body (the fuzzing of the body is test_every_operation's job), so that the links
    are really followed."""
    machine = api_schema.as_state_machine()
    seen = []
    valid = {"procedure": "acte-etat-civil", "channel": "phone", "citizen": citizen.pk,
             "answers": {"nom": "Martin", "prenom": "Camille", "motif": "naissance"}}

    class Workflow(machine):
        # Counted per scenario (a new machine for each example), never across them: hypothesis replays an example
        # and must see the same answers, or it reports « inconsistent data generation ».
        def __init__(self):
            super().__init__()
            self.submissions = 0

        def before_call(self, case):
            if case.method.upper() == "POST" and case.path.endswith("/requests"):
                self.submissions += 1
                if self.submissions % 2:
                    case.body = dict(valid)

        def get_call_kwargs(self, case):
            return {"base_url": api_data["base_url"], "headers": api_data["headers"]}

        def after_call(self, response, case):
            super().after_call(response, case)
            seen.append((case.method.upper(), case.path, response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Workflow.run(settings=settings(SETTINGS, max_examples=15, stateful_step_count=6))
    assert ("POST", "/api/v1/requests", 201) in seen
    followed = {path for method, path, status in seen if "{tracking_code}" in path and status in (200, 201)}
    assert followed, seen


def test_the_document_is_fully_covered(api_schema):
    """Every operation of the API is in the document schemathesis reads (none skipped as unsupported)."""
    operations = {result.ok().definition.raw["operationId"] for result in api_schema.get_all_operations()}
    assert operations == {
        "me", "list_procedures", "read_procedure", "list_procedure_statuses", "list_statuses", "list_services",
        "list_sheets", "read_sheet", "submit_request", "list_requests", "read_request", "read_request_timeline",
        "post_request_message", "list_request_actions", "press_request_action"}
