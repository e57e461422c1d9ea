"""The two baselines do what the report says they do, against a real Redis:
the upstream app answers as the issue's upstream table says (it is the
contract's reference implementation), and the floor's streamed /list is one
JSON object of exactly the stored pairs."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import redis
from tests.kit.processes import RedisServer, redis_server


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path / "redis") as server:
        yield server.url


def load(name: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The app module, imported afresh so its module-level client uses this Redis."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    return importlib.reload(importlib.import_module(f"tools.benchmark.apps.{name}"))


def test_upstream_answers_as_the_upstream_table(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = load("upstream", redis_url, monkeypatch).app.test_client()
    assert (client.get("/").status_code, client.get("/").text) == (
        200,
        "Redis connection is healthy!",
    )
    written = client.post("/write", json={"key": "k", "value": "v"})
    assert (written.status_code, written.json) == (
        200,
        {"message": "Key-Value pair added", "key": "k", "value": "v"},
    )
    for missing in ({"key": "k"}, {"key": "", "value": "v"}):
        refused = client.post("/write", json=missing)
        assert (refused.status_code, refused.json) == (
            400,
            {"error": 'Both "key" and "value" are required'},
        )
    no_payload = (
        client.post("/write"),
        client.post("/write", json={}),
        client.post("/write", data="null", content_type="application/json"),
    )
    for random_pair in no_payload:
        assert random_pair.status_code == 200
        assert random_pair.json["message"] == "Key-Value pair added"
        assert random_pair.json["key"]
        assert random_pair.json["value"]
    listed = client.get("/list").json
    assert listed["k"] == "v"
    assert len(listed) == 4  # k and the three random pairs
    deleted = client.delete("/delete?key=k")
    assert (deleted.status_code, deleted.json) == (200, {"message": "Key k deleted"})
    gone = client.delete("/delete?key=k")
    assert (gone.status_code, gone.json) == (404, {"error": "Key k not found"})
    assert client.delete("/delete").json == {"error": "Key parameter is required"}


def test_upstream_says_so_when_redis_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = RedisServer(tmp_path / "redis").start()
    app = load("upstream", server.url, monkeypatch).app
    server.stop()
    down = app.test_client().get("/")
    assert (down.status_code, down.text) == (500, "Could not connect to Redis!")


@pytest.mark.parametrize("keys", [0, 1, 2500])
def test_floor_streams_exactly_the_stored_pairs(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, keys: int
) -> None:
    stored = {f"key-{i}": f"value-{i}" for i in range(keys)}
    if stored:
        redis.Redis.from_url(redis_url).mset(stored)
    client = load("floor", redis_url, monkeypatch).app.test_client()
    assert json.loads(client.get("/list").data) == stored
    assert client.post("/write", json={"key": "new", "value": "1"}).json == {
        "key": "new",
        "value": "1",
    }
    assert client.get("/").status_code == 200
