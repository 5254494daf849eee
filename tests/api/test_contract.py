"""The contract test: schemathesis fuzzes every operation from the API's own OpenAPI
document, through the WSGI app, as a visitor and with a staff token carrying every
scope. No answer is a 5xx, and every answer matches the document (status, content
type, body schema). Kept small (a few examples per operation) to stay well under a
minute on both backends."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 6


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _fuzz(schema, headers: dict) -> int:
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()
    return operations


@pytest.mark.parametrize("who", ["visitor", "staff"])
def test_api_matches_its_openapi_document(api_schema, community, make_token, who):
    headers = {"Authorization": f"Bearer {make_token(community['care'])}"} if who == "staff" else {}
    started = time.monotonic()
    operations = _fuzz(api_schema, headers)
    assert operations >= 15
    assert time.monotonic() - started < 60
