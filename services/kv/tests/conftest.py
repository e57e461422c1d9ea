"""Fixtures for the service tests: real Redis on loopback (a standalone
server, and a six-node cluster), an app per test with its own key prefix,
and a client that checks every response against the served OpenAPI document.

Tests that take `config`, `api` or `raw` run twice, once per backend
(ids `standalone` and `cluster`): the contract holds in both modes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from kv import Config, create_app
from kv.auth import TokenFile
from kv.config import variables
from kv.store import RedisStore
from redis.cluster import RedisCluster
from tests.kit.cluster import RedisClusterProcesses
from tests.kit.kvapi import Api
from tests.kit.openapi import OpenApiDocument
from tests.kit.processes import RedisServer

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "kv" / "openapi.yaml"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterProcesses]:
    """Three primaries and three replicas, shared by the contract tests; tests
    that break the topology start their own."""
    cluster = RedisClusterProcesses(tmp_path_factory.mktemp("cluster")).start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["standalone", "cluster"])
def backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(REDIS_URL, KV_REDIS_MODE); the cluster starts only when a test needs it."""
    if request.param == "cluster":
        cluster: RedisClusterProcesses = request.getfixturevalue("redis_cluster")
        return cluster.url, "cluster"
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url, "standalone"


@pytest.fixture(scope="session")
def openapi() -> OpenApiDocument:
    return OpenApiDocument.load(OPENAPI_PATH)


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def config(backend: tuple[str, str], prefix: str) -> Config:
    url, mode = backend
    return Config(redis_url=url, key_prefix=prefix).replace(redis_mode=mode)


@pytest.fixture
def raw(backend: tuple[str, str]) -> Iterator[Any]:
    """Direct Redis access, to check what the service did (or did not) store."""
    url, mode = backend
    client: Any = (
        RedisCluster.from_url(url, decode_responses=True)
        if mode == "cluster"
        else redis.Redis.from_url(url, decode_responses=True)
    )
    yield client
    client.close()


@pytest.fixture
def make_api(openapi: OpenApiDocument) -> Iterator[Any]:
    """Apps over real Redis stores, closed at the end of the test."""
    stores: list[RedisStore] = []

    def make(config: Config, tokens: TokenFile | None = None) -> Api:
        store = RedisStore(config)
        stores.append(store)
        return Api(create_app(config, store=store, tokens=tokens).test_client(), openapi)

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Reads a Config from exactly the given environment variables."""

    def read(env: dict[str, str]) -> Config:
        for name in variables():
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return Config.from_env()

    return read


@pytest.fixture
def api(make_api: Any, config: Config, raw: redis.Redis, prefix: str) -> Iterator[Api]:
    yield make_api(config)
    keys = list(raw.scan_iter(match=prefix.replace("*", r"\*") + "*", count=1000))
    if keys:
        raw.delete(*keys)
