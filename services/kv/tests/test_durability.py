"""Writes wait for replicas (KV_WRITE_MIN_REPLICAS, Redis WAIT) against a real
primary and replica: acknowledged means on the replica too, and a replica
that does not confirm in time turns the write into 503 write_not_durable."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from kv import Config
from tests.kit.kvapi import Api
from tests.kit.processes import RedisServer


@pytest.fixture
def primary_and_replica(tmp_path: Path) -> Iterator[tuple[RedisServer, RedisServer]]:
    # The primary sends its snapshot at once rather than waiting 5 s for more replicas.
    primary = RedisServer(tmp_path / "primary", extra=("--repl-diskless-sync-delay", "0")).start()
    replica = RedisServer(
        tmp_path / "replica", extra=("--replicaof", "127.0.0.1", str(primary.port))
    ).start()
    with redis.Redis(port=primary.port, decode_responses=True) as client:
        deadline = time.monotonic() + 10
        while client.info("replication").get("slave0", {}).get("state") != "online":
            assert time.monotonic() < deadline, "replica never synced"
            time.sleep(0.05)
    yield primary, replica
    if replica.proc is not None:
        replica.proc.send_signal(signal.SIGCONT)
    replica.stop()
    primary.stop()


def config_for(primary: RedisServer, replicas: int, timeout_ms: int = 1000) -> Config:
    return Config(
        redis_url=primary.url,
        key_prefix="durable:",
        write_min_replicas=replicas,
        write_replica_timeout_ms=timeout_ms,
        redis_command_timeout_s=timeout_ms / 1000 + 1,
    )


def test_acknowledged_write_is_already_on_the_replica(
    make_api: Any, primary_and_replica: tuple[RedisServer, RedisServer]
) -> None:
    primary, replica = primary_and_replica
    # A generous WAIT: on a busy machine a healthy replica can take over a
    # second to confirm, and this test is about what "acknowledged" means.
    api: Api = make_api(config_for(primary, 1, timeout_ms=10_000))
    assert api.post("/write", json={"key": "k", "value": "v"}).status_code == 200
    assert api.post("/write?count=20").status_code == 200
    with redis.Redis(port=replica.port, decode_responses=True) as on_replica:
        # No waiting here: WAIT already confirmed the replica has it.
        assert on_replica.get("durable:k") == "v"
        assert len(on_replica.keys("durable:random-*")) == 20


def test_write_is_503_when_the_replica_does_not_confirm(
    make_api: Any, primary_and_replica: tuple[RedisServer, RedisServer]
) -> None:
    primary, replica = primary_and_replica
    api: Api = make_api(config_for(primary, 1, timeout_ms=200))
    assert replica.proc is not None
    replica.proc.send_signal(signal.SIGSTOP)  # alive but silent, like a stalled zone
    try:
        started = time.monotonic()
        response = api.post("/write", json={"key": "k", "value": "v"})
        assert response.status_code == 503
        assert response.json["code"] == "write_not_durable"
        assert "may not be durable" in response.json["error"]
        assert int(response.headers["Retry-After"]) >= 1
        assert time.monotonic() - started < 1.0, "bounded by KV_WRITE_REPLICA_TIMEOUT_MS"
        assert api.get("/readyz").status_code == 200, "reads and readiness do not need replicas"
    finally:
        replica.proc.send_signal(signal.SIGCONT)
    # The client retries the same idempotent write; it succeeds once the replica is back.
    deadline = time.monotonic() + 10
    while api.post("/write", json={"key": "k", "value": "v"}).status_code != 200:
        assert time.monotonic() < deadline, "writes never became durable again"
        time.sleep(0.1)


def test_asking_for_more_replicas_than_exist_is_503_not_a_hang(
    make_api: Any, primary_and_replica: tuple[RedisServer, RedisServer]
) -> None:
    primary, _ = primary_and_replica
    api: Api = make_api(config_for(primary, 2, timeout_ms=200))
    response = api.post("/write", json={"key": "k", "value": "v"})
    assert response.status_code == 503
    assert response.json["code"] == "write_not_durable"


def test_without_replicas_configured_writes_do_not_wait(make_api: Any, tmp_path: Path) -> None:
    lone = RedisServer(tmp_path / "lone").start()
    try:
        api: Api = make_api(config_for(lone, 0))
        assert api.post("/write", json={"key": "k", "value": "v"}).status_code == 200
    finally:
        lone.stop()
