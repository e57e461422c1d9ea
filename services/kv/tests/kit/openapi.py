"""Checks HTTP responses against the service's OpenAPI document with
schemathesis's own response checks: no 500, a documented status code, a
documented content type, the required headers, a body that matches its
schema. An undocumented path or method must still answer 404 or 405 with
the document's Error shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import requests
import schemathesis
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

# Not schemathesis's not_a_server_error: a documented 503 is the contract
# while Redis is away; only a 500 is always wrong.
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class OpenApiDocument:
    def __init__(self, schema: OpenApiSchema) -> None:
        self.schema = schema
        # The document is the root, so its "#/components/..." references resolve.
        self._error = jsonschema.Draft202012Validator(
            {**schema.raw_schema, "$ref": "#/components/schemas/Error"}
        )

    @classmethod
    def load(cls, path: Path) -> OpenApiDocument:
        schema = schemathesis.openapi.from_path(path)
        assert isinstance(schema, OpenApiSchema)
        return cls(schema)

    def check_response(
        self,
        method: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
    ) -> None:
        """Raises AssertionError when the response is not what the document allows."""
        where = f"{method} {path} {status}"
        assert status != 500, f"{method} {path} answered 500: {body[:500]!r}"
        operation = self.schema.find_operation_by_path(method, urlsplit(path).path)
        if operation is None:
            assert status in (404, 405), f"{method} {path} is undocumented but answered {status}"
            try:
                instance = json.loads(body)
            except ValueError as error:
                raise AssertionError(f"{where}: body is not JSON: {body[:200]!r}") from error
            errors = sorted(self._error.iter_errors(instance), key=str)
            assert not errors, f"{where}: not the Error shape: {errors[0].message}"
            return
        listed: dict[str, list[str]] = {}
        for name, value in headers.items():
            listed.setdefault(name.lower(), []).append(value)
        response = Response(
            status_code=status,
            headers=listed,
            content=body,
            request=requests.Request(method, f"http://kv{path}").prepare(),
            elapsed=0.0,
            verify=True,
        )
        try:
            operation.Case().validate_response(response, checks=CHECKS)
        except FailureGroup as failures:
            raise AssertionError(f"{where}: {failures}") from None
