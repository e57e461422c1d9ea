"""Fixtures for the service tests: a real redis-server on loopback, an app per
test with its own key prefix, and a client that checks every response
against the served OpenAPI document."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from kv import Config, create_app

from tools.testkit.kvapi import Api
from tools.testkit.openapi import OpenApiDocument
from tools.testkit.processes import RedisServer

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "kv" / "openapi.yaml"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def openapi() -> OpenApiDocument:
    return OpenApiDocument.load(OPENAPI_PATH)


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def config(redis_server: RedisServer, prefix: str) -> Config:
    return Config(redis_url=redis_server.url, key_prefix=prefix)


@pytest.fixture
def raw(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """Direct Redis access, to check what the service did (or did not) store."""
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def make_api(openapi: OpenApiDocument) -> Iterator[Any]:
    stores: list[Any] = []

    def make(config: Config) -> Api:
        app = create_app(config)
        stores.append(app.extensions["kv"]["store"])
        return Api(app.test_client(), openapi)

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def api(make_api: Any, config: Config, raw: redis.Redis, prefix: str) -> Iterator[Api]:
    yield make_api(config)
    keys = list(raw.scan_iter(match=prefix.replace("*", r"\*") + "*", count=1000))
    if keys:
        raw.delete(*keys)
