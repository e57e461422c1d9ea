"""Fuzzing with schemathesis against the document the service serves, over
real HTTP to gunicorn on loopback, configured as production is (write
tokens on). For every operation, schema-valid and schema-violating inputs
(bounded numbers of examples): no 5xx, and every response (status, headers,
content type, body) is one the document allows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance
from tests.kit.processes import Gunicorn, RedisServer

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "kv" / "openapi.yaml"
TOKEN = "fuzz-token-0123456789abcdef"  # noqa: S105 (a throwaway test token)
EXAMPLES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 40}


def cases() -> list[tuple[str, str, GenerationMode]]:
    """Every operation with valid input, and those that take input with invalid input too."""
    document = yaml.safe_load(OPENAPI_PATH.read_text())
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            found.append((method.upper(), path, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                found.append((method.upper(), path, GenerationMode.NEGATIVE))
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    tmp = tmp_path_factory.mktemp("fuzz")
    redis_server = RedisServer(tmp / "redis").start()
    tokens = tmp / "tokens"
    tokens.write_text(f"{TOKEN}\n")
    server = Gunicorn(
        {
            "REDIS_URL": redis_server.url,
            "KV_KEY_PREFIX": "fuzz:",
            "KV_AUTH_TOKENS_FILE": str(tokens),
            "KV_MAX_VALUE_BYTES": "4096",
            "KV_LOG_LEVEL": "WARNING",
        },
        tmp / "server.log",
    ).start()
    yield server
    server.stop()
    redis_server.stop()


@pytest.mark.parametrize(("method", "path", "mode"), cases(), ids=str)
def test_operation_honours_the_document_for_any_input(
    served: Gunicorn, method: str, path: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(served.url + "/openapi.yaml")
    operation = schema[path][method]
    calls = []

    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any, data: st.DataObject) -> None:
        # Mostly with the write token, sometimes without: both must match the
        # document. A case whose headers break the document on purpose (a
        # missing or malformed Authorization) is sent as generated, since
        # adding the token would turn it into a valid request.
        with_token = not case.meta.is_negative_at(ParameterLocation.HEADER) and data.draw(
            st.integers(0, 4)
        )
        headers = {"Authorization": f"Bearer {TOKEN}"} if with_token else {}
        response = case.call_and_validate(
            base_url=served.url,
            headers=headers,
            timeout=10,
            # Schema-valid input may still be refused for limits the document
            # cannot express (UTF-8 byte lengths, configured maxima, `count`
            # together with a body); such refusals are 4xx and still checked.
            excluded_checks=[positive_data_acceptance],
        )
        calls.append(response.status_code)

    check()
    assert calls, "no request was made"
    assert all(status < 500 for status in calls)
