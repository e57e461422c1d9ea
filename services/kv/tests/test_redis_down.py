"""When Redis is down or hangs: 503 JSON with Retry-After, bounded in time,
liveness unaffected, and automatic recovery when Redis returns."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from kv import Config
from tests.kit.kvapi import Api
from tests.kit.processes import RedisServer, free_port

REDIS_CALLS = [("GET", "/"), ("GET", "/readyz"), ("GET", "/list"), ("GET", "/list?limit=10"),
               ("DELETE", "/delete?key=k")]  # fmt: skip


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503
    assert response.json["code"] == "redis_unavailable"
    assert int(response.headers["Retry-After"]) >= 1


def test_stopped_redis_gives_503_and_recovers_when_it_returns(
    make_api: Any, own_redis: RedisServer
) -> None:
    api: Api = make_api(Config(redis_url=own_redis.url, key_prefix="down:"))
    assert api.post("/write", json={"key": "k", "value": "v"}).status_code == 200
    own_redis.stop()

    for method, path in REDIS_CALLS:
        assert_unavailable(api.request(method, path))
    assert_unavailable(api.post("/write", json={"key": "k", "value": "v"}))
    assert_unavailable(api.post("/write"))
    assert api.get("/healthz").status_code == 200

    own_redis.start()  # same port, as after a restart or failover
    assert api.get("/readyz").status_code == 200
    assert api.post("/write", json={"key": "k", "value": "back"}).status_code == 200
    assert api.get("/list").json == {"k": "back"}


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback TCP port that accepts connections and never answers, like a hung Redis."""
    port = free_port()
    listener = socket.socket()
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    yield port
    listener.close()


def test_hung_redis_gives_503_within_the_command_timeout(make_api: Any, silent_server: int) -> None:
    config = Config(
        redis_url=f"redis://127.0.0.1:{silent_server}/0",
        redis_connect_timeout_s=0.2,
        redis_command_timeout_s=0.2,
    )
    api: Api = make_api(config)
    for method, path in [("GET", "/readyz"), ("POST", "/write")]:
        started = time.monotonic()
        assert_unavailable(api.request(method, path))
        # Two retries with at most 0.2 s backoff each: far below a worker timeout.
        assert time.monotonic() - started < 3 * 0.2 + 2 * 0.2 + 1.0
    assert api.get("/healthz").status_code == 200


def test_redis_failures_are_counted_in_metrics(make_api: Any, own_redis: RedisServer) -> None:
    api: Api = make_api(Config(redis_url=own_redis.url, key_prefix="down:"))
    own_redis.stop()
    api.get("/readyz")
    metrics = api.get("/metrics").get_data(as_text=True)
    assert 'kv_redis_errors_total{operation="ping"} 1.0' in metrics
    assert 'kv_http_requests_total{method="GET",route="/readyz",status="503"} 1.0' in metrics


def test_index_answers_from_a_recent_success_but_readiness_never_does(
    make_api: Any, own_redis: RedisServer
) -> None:
    api: Api = make_api(Config(redis_url=own_redis.url, key_prefix="down:", status_cache_s=60))
    assert api.get("/").status_code == 200
    own_redis.stop()
    assert api.get("/").status_code == 200  # the success of a moment ago
    assert_unavailable(api.get("/readyz"))  # the load balancer's view is always live


def test_index_never_caches_a_failure(make_api: Any, own_redis: RedisServer) -> None:
    api: Api = make_api(Config(redis_url=own_redis.url, key_prefix="down:", status_cache_s=60))
    own_redis.stop()
    assert_unavailable(api.get("/"))
    own_redis.start()
    assert api.get("/").status_code == 200  # recovery shows at once


def test_readiness_fails_when_redis_refuses_the_wait_that_writes_need(
    make_api: Any, own_redis: RedisServer
) -> None:
    client = redis.Redis.from_url(own_redis.url)
    client.execute_command(  # type: ignore[no-untyped-call]
        "ACL", "SETUSER", "default", "on", "nopass", "~*", "&*", "+@all", "-wait"
    )
    client.close()
    durable: Api = make_api(Config(redis_url=own_redis.url, key_prefix="d:", write_min_replicas=1))
    response = durable.get("/readyz")
    assert response.status_code == 503
    assert response.json["code"] == "write_not_durable"
    assert "WAIT" in response.json["error"]
    relaxed: Api = make_api(Config(redis_url=own_redis.url, key_prefix="d:"))
    assert relaxed.get("/readyz").status_code == 200  # without N >= 1, WAIT is not needed
