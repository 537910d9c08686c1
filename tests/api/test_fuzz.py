"""Schema-driven fuzzing of the live API: valid and invalid inputs alike never produce a 5xx,
and every answer matches the documented schema, status codes and content types.

Operations are driven by hand with Hypothesis (schemathesis' pytest plugin does not support
this pytest yet); each operation gets a bounded number of generated cases.
"""

from __future__ import annotations

import itertools

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.live import LiveApi

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
EXAMPLES_PER_OPERATION = 30


def test_no_server_errors_and_schema_conformance(live: LiveApi) -> None:
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    headers = {"X-API-Key": live.editor_key}
    ran_without_inputs: list[str] = []
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=live.url, headers=headers, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            # An operation without any input has no invalid input to generate.
            assert mode is GenerationMode.NEGATIVE
            ran_without_inputs.append(operation.label)
    assert len(ran_without_inputs) <= 4, ran_without_inputs
