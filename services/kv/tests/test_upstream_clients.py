"""A client of the upstream app, written only from its contract table (issue
12, "The upstream contract"), against the real service: gunicorn with the
production config over a real redis-server.

Nothing here knows this service's extensions (codes, request IDs, pages):
it checks what a client of the upstream app reads, and nothing else. The
deliberate deviations (services/README.md, "upstream vs this service") are
not exercised here; test_contract.py and test_bad_input.py cover them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from tests.kit.processes import Gunicorn, RedisServer

BOTH_REQUIRED = {"error": 'Both "key" and "value" are required'}


@pytest.fixture(scope="module")
def upstream_url(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[str]:
    log = tmp_path_factory.mktemp("upstream-clients") / "server.log"
    server = Gunicorn({"REDIS_URL": redis_server.url, "KV_KEY_PREFIX": "upstream:"}, log).start()
    yield server.url
    server.stop()


@pytest.fixture
def http(upstream_url: str) -> Iterator[Any]:
    with requests.Session() as session:
        yield lambda method, path, **kwargs: session.request(
            method, upstream_url + path, timeout=10, **kwargs
        )
    with requests.Session() as session:  # leave nothing for the next test's /list
        for key in session.get(upstream_url + "/list", timeout=10).json():
            session.delete(upstream_url + "/delete", params={"key": key}, timeout=10)


def test_index_says_the_redis_connection_is_healthy(http: Any) -> None:
    response = http("GET", "/")
    assert response.status_code == 200
    assert "Redis connection is healthy!" in response.text


def test_write_answers_the_pair_added(http: Any) -> None:
    response = http("POST", "/write", json={"key": "colour", "value": "blue"})
    assert response.status_code == 200
    answer = response.json()
    assert answer["message"] == "Key-Value pair added"
    assert (answer["key"], answer["value"]) == ("colour", "blue")
    assert http("GET", "/list").json() == {"colour": "blue"}


@pytest.mark.parametrize(
    "payload",
    [{"key": "k"}, {"value": "v"}, {"key": "", "value": "v"}, {"key": "k", "value": ""}],
    ids=["no-value", "no-key", "empty-key", "empty-value"],
)
def test_write_without_both_fields_is_400_both_required(http: Any, payload: dict[str, str]) -> None:
    response = http("POST", "/write", json=payload)
    assert response.status_code == 400
    assert response.json()["error"] == BOTH_REQUIRED["error"]
    assert http("GET", "/list").json() == {}


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"json": {}}, {"data": "null", "headers": {"Content-Type": "application/json"}}],
    ids=["no-body", "empty-object", "null"],
)
def test_write_without_a_payload_adds_one_random_pair(http: Any, kwargs: dict[str, Any]) -> None:
    response = http("POST", "/write", **kwargs)
    assert response.status_code == 200
    answer = response.json()
    assert answer["message"] == "Key-Value pair added"
    assert answer["key"]
    assert answer["value"]
    assert http("GET", "/list").json() == {answer["key"]: answer["value"]}


def test_delete_answers_the_key_deleted_then_not_found(http: Any) -> None:
    http("POST", "/write", json={"key": "gone", "value": "soon"})
    response = http("DELETE", "/delete?key=gone")
    assert response.status_code == 200
    assert response.json()["message"] == "Key gone deleted"
    again = http("DELETE", "/delete?key=gone")
    assert again.status_code == 404
    assert again.json()["error"] == "Key gone not found"


def test_delete_without_a_key_is_400_key_parameter_required(http: Any) -> None:
    response = http("DELETE", "/delete")
    assert response.status_code == 400
    assert response.json()["error"] == "Key parameter is required"


def test_list_answers_one_object_of_every_pair(http: Any) -> None:
    pairs = {f"key-{i}": f"value-{i}" for i in range(30)}
    for key, value in pairs.items():
        assert http("POST", "/write", json={"key": key, "value": value}).status_code == 200
    response = http("GET", "/list")
    assert response.status_code == 200
    assert response.json() == pairs
