"""Schemathesis against /openapi.json, in process: generated requests — valid and not — to every
operation find no 5xx, and every response fits the schema (status, content type, body,
headers); invalid requests are refused.

Not checked: that every schema-valid request is accepted (``positive_data_acceptance``). Some
rules span fields or come from the config — one of ``text`` / ``texts``, an id per text,
``max_texts`` — and are refused with a 422 that says so."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="needs schemathesis: run `make test`")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import checks  # noqa: E402


def _import_now() -> None:
    """Import every module schemathesis and hypothesis load lazily, while tests are collected.

    Python 3.11.7 has a bug: after some test of the suite meets a RecursionError in the
    compiler, every later ``ast.parse`` fails ("AST constructor recursion depth mismatch"), and
    pytest parses each plugin module it imports (assertion rewriting). Loading them all here,
    before any test runs, keeps this test independent of what ran before it."""
    import warnings

    import hypothesis.strategies._internal.random  # noqa: F401
    import schemathesis.wfc.escalation

    operation = {
        "parameters": [{"name": "q", "in": "query", "schema": {"type": "integer"}}],
        "requestBody": {
            "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"f": {"type": "string"}}}}}
        },
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}},
    }
    spec = {"openapi": "3.1.0", "info": {"title": "warm-up", "version": "1"}, "paths": {"/x": {"post": operation}}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for result in schemathesis.openapi.from_dict(spec).get_all_operations():
            result.ok().as_strategy().example()


_import_now()
EXAMPLES = 30
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
]


def test_no_5xx_and_every_response_fits_the_schema(client):
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def check(case):
            case.call_and_validate(checks=CHECKS)

        try:
            check()
        except Exception as exc:  # gather every operation's failure, not only the first
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
