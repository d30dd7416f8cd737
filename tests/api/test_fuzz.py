"""Every API endpoint fuzzed from its own OpenAPI description (schemathesis).

Schemathesis reads /api/v1/openapi.json from the app itself and, for every operation,
generates parameters the description allows (and, in negative mode, ones it forbids),
calls the app in process, and checks: no 5xx; the status code, content type and body are
the documented ones. The examples per operation are kept few so the suite stays fast;
raise GENETX_FUZZ_EXAMPLES for a longer run.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.worlds import build_small_world

EXAMPLES = int(os.environ.get("GENETX_FUZZ_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


# Loaded when the module is imported: the description needs no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def world(db):
    """The records the fuzzer reads, in the test's transaction.

    The WSGI handler closes database connections when a request ends; Django's test client
    switches that off, and so does this fixture, or PostgreSQL would lose the test's
    transaction after the first call.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield build_small_world()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_endpoint_answers_as_its_description_says(case, world):
    case.call_and_validate(checks=CHECKS)
