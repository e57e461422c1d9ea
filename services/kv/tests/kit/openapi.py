"""Checks HTTP responses against an OpenAPI 3.1 document with jsonschema.

OpenAPI 3.1 schemas are JSON Schema 2020-12, so the response schema for a
(path, method, status) is validated as-is, with $refs resolved inside the
document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012

DOC_URI = "urn:kv:openapi"


@dataclass
class OpenApiDocument:
    document: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> OpenApiDocument:
        return cls(yaml.safe_load(path.read_text()))

    def _registry(self) -> Registry:
        registry: Registry = Registry().with_resource(
            DOC_URI, DRAFT202012.create_resource(self.document)
        )
        return registry

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        item = self.document["paths"].get(urlsplit(path).path)
        return None if item is None else item.get(method.lower())

    def check_response(
        self, method: str, path: str, status: int, headers: Mapping[str, str], body: bytes
    ) -> None:
        """Raises AssertionError when the response is not what the document allows."""
        assert status != 500, f"{method} {path} answered 500: {body[:500]!r}"
        operation = self.operation(method, path)
        if operation is None:
            # Unknown paths and methods must still answer with the Error shape.
            assert status in (404, 405), f"{method} {path} is undocumented but answered {status}"
            self._validate(
                {"$ref": "#/components/schemas/Error"}, body, f"{method} {path} {status}"
            )
            return
        responses = operation["responses"]
        spec = responses.get(str(status))
        assert spec is not None, f"{method} {path} answered {status}, not in {sorted(responses)}"
        spec = self._resolve(spec)
        content = spec.get("content", {})
        media = headers.get("Content-Type", "").split(";")[0].strip()
        if content:
            assert media in content, (
                f"{method} {path} {status}: content type {media!r} not in {sorted(content)}"
            )
            if media == "application/json":
                self._validate(content[media]["schema"], body, f"{method} {path} {status}")
        if "Retry-After" in spec.get("headers", {}):
            assert "Retry-After" in headers, f"{method} {path} {status}: missing Retry-After"

    def _validate(self, schema: dict[str, Any], body: bytes, where: str) -> None:
        try:
            instance = json.loads(body)
        except ValueError as error:
            raise AssertionError(f"{where}: body is not JSON: {body[:200]!r}") from error
        wrapped = {"$schema": "https://json-schema.org/draft/2020-12/schema", **_absolute(schema)}
        validator = jsonschema.Draft202012Validator(wrapped, registry=self._registry())
        errors = sorted(validator.iter_errors(instance), key=str)
        assert not errors, f"{where}: response violates the document: {errors[0].message}"


def _absolute(node: Any) -> Any:
    """The schema with document-local $refs made absolute (into the registry)."""
    if isinstance(node, dict):
        return {
            k: DOC_URI + v
            if k == "$ref" and isinstance(v, str) and v.startswith("#")
            else _absolute(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_absolute(v) for v in node]
    return node
