"""Client-side helpers for the service tests: an OpenAPI-checking client and
a direct look at what Redis holds."""

from __future__ import annotations

from typing import Any

import redis
from flask.testing import FlaskClient
from redis.cluster import RedisCluster
from werkzeug.test import TestResponse

from tools.testkit.openapi import OpenApiDocument


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


def stored(raw: redis.Redis | RedisCluster, prefix: str) -> dict[str, str]:
    """Every pair under the prefix, read straight from Redis (every primary of a cluster)."""
    keys = list(raw.scan_iter(match=prefix + "*", count=1000))
    if not keys:
        return {}
    values = raw.mget_nonatomic(keys) if isinstance(raw, RedisCluster) else raw.mget(keys)
    return {
        str(k)[len(prefix) :]: str(v) for k, v in zip(keys, values, strict=True) if v is not None
    }
