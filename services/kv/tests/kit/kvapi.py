"""Client-side helpers for the service tests: an OpenAPI-checking client and
a direct look at what Redis holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from flask.testing import FlaskClient
from redis.cluster import RedisCluster
from tests.kit.openapi import OpenApiDocument
from werkzeug.test import TestResponse


class Reply:
    """A test response with its JSON typed as Any, as tests treat it."""

    def __init__(self, response: TestResponse) -> None:
        self.raw = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.response = response.response

    @property
    def json(self) -> Any:
        return self.raw.json

    def get_data(self, as_text: bool = False) -> Any:
        return self.raw.get_data(as_text=True) if as_text else self.raw.get_data()


class Api:
    """A Flask test client whose every response must match the OpenAPI document."""

    def __init__(self, client: FlaskClient, openapi: OpenApiDocument) -> None:
        self.client = client
        self.openapi = openapi

    def request(self, method: str, path: str, **kwargs: Any) -> Reply:
        response = self.client.open(path, method=method, **kwargs)
        self.openapi.check_response(
            method, path, response.status_code, dict(response.headers), response.get_data()
        )
        return Reply(response)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Reply:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Reply:
        return self.request("DELETE", path, **kwargs)


def list_pages(
    api: Api, limit: int, between: Callable[[int], None] = lambda _: None
) -> list[dict[str, str]]:
    """Every page of GET /list?limit=, following X-Next-Cursor to the end;
    `between(n)` runs after the n-th page.

    A key may be on two pages (SCAN repeats keys when Redis resizes its table
    mid-walk), with its value; callers check coverage with `merged`.
    """
    pages: list[dict[str, str]] = []
    cursor: str | None = None
    while True:
        query: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = api.get("/list", query_string=query)
        assert response.status_code == 200
        pages.append(response.json)
        between(len(pages))
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            return pages
        assert len(pages) < 10_000, "the cursor never reached the end"


def merged(pages: list[dict[str, str]]) -> dict[str, str]:
    """The pages as one mapping; a key repeated across pages must keep its value."""
    result: dict[str, str] = {}
    for page in pages:
        for key, value in page.items():
            assert result.setdefault(key, value) == value, f"{key!r} had two values"
    return result


def stored(raw: redis.Redis | RedisCluster, prefix: str) -> dict[str, str]:
    """Every pair under the prefix, read straight from Redis (every primary of a cluster)."""
    keys = list(raw.scan_iter(match=prefix + "*", count=1000))
    if not keys:
        return {}
    values = raw.mget_nonatomic(keys) if isinstance(raw, RedisCluster) else raw.mget(keys)
    return {
        str(k)[len(prefix) :]: str(v) for k, v in zip(keys, values, strict=True) if v is not None
    }
