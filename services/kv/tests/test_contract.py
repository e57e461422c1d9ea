"""Every row of the contract table in DESIGN.md, against a real Redis, with
this service's extensions (codes, request IDs, `count`, pages)."""

from __future__ import annotations

import pytest
import redis
from tests.kit.kvapi import Api, stored


def test_index_says_redis_is_reachable(api: Api) -> None:
    response = api.get("/")
    assert response.status_code == 200
    assert response.json["message"] == "Redis connection is healthy!"
    assert response.json["redis"] == "reachable"


def test_write_stores_the_pair_and_echoes_it(api: Api, raw: redis.Redis, prefix: str) -> None:
    response = api.post("/write", json={"key": "colour", "value": "blue"})
    assert response.status_code == 200
    assert response.json == {"message": "Key-Value pair added", "key": "colour", "value": "blue"}
    assert raw.get(prefix + "colour") == "blue"


def test_write_overwrites_an_existing_key(api: Api, raw: redis.Redis, prefix: str) -> None:
    api.post("/write", json={"key": "k", "value": "one"})
    api.post("/write", json={"key": "k", "value": "two"})
    assert stored(raw, prefix) == {"k": "two"}


def test_write_accepts_json_with_a_charset(api: Api, raw: redis.Redis, prefix: str) -> None:
    response = api.post(
        "/write", data='{"key": "k", "value": "v"}', content_type="application/json; charset=utf-8"
    )
    assert response.status_code == 200
    assert raw.get(prefix + "k") == "v"


@pytest.mark.parametrize(
    "body", [None, b"{}", b"null", b" {} "], ids=["none", "{}", "null", "spaced"]
)
def test_write_without_a_payload_writes_one_random_pair(
    api: Api, raw: redis.Redis, prefix: str, body: bytes | None
) -> None:
    kwargs = {} if body is None else {"data": body, "content_type": "application/json"}
    response = api.post("/write", **kwargs)
    assert response.status_code == 200
    answer = response.json
    assert answer["message"] == "Key-Value pair added"
    assert answer["pairs"] == [{"key": answer["key"], "value": answer["value"]}]
    assert stored(raw, prefix) == {answer["key"]: answer["value"]}


def test_random_write_honours_count(api: Api, raw: redis.Redis, prefix: str) -> None:
    response = api.post("/write?count=25")
    assert response.status_code == 200
    answer = response.json
    written = {pair["key"]: pair["value"] for pair in answer["pairs"]}
    assert len(written) == 25
    assert answer["message"] == "25 Key-Value pairs added"
    assert (answer["key"], answer["value"]) == next(iter(written.items()))
    assert stored(raw, prefix) == written


def test_random_write_of_an_empty_object_honours_count(
    api: Api, raw: redis.Redis, prefix: str
) -> None:
    response = api.post("/write?count=3", json={})
    assert response.status_code == 200
    assert len(stored(raw, prefix)) == 3


def test_delete_removes_the_key(api: Api, raw: redis.Redis, prefix: str) -> None:
    api.post("/write", json={"key": "gone", "value": "soon"})
    response = api.delete("/delete?key=gone")
    assert response.status_code == 200
    assert response.json == {"message": "Key gone deleted"}
    assert raw.exists(prefix + "gone") == 0


def test_delete_of_a_missing_key_is_404(api: Api) -> None:
    response = api.delete("/delete?key=never-written")
    assert response.status_code == 404
    assert response.json["error"] == "Key never-written not found"
    assert response.json["code"] == "key_not_found"
    assert response.json["request_id"] == response.headers["X-Request-ID"]


def test_delete_without_key_is_400(api: Api) -> None:
    response = api.delete("/delete")
    assert response.status_code == 400
    assert response.json["error"] == "Key parameter is required"
    assert response.json["code"] == "invalid_parameter"


def test_list_returns_every_pair_as_one_object(api: Api) -> None:
    pairs = {f"key-{i}": f"value-{i}" for i in range(50)}
    for key, value in pairs.items():
        api.post("/write", json={"key": key, "value": value})
    response = api.get("/list")
    assert response.status_code == 200
    assert response.json == pairs


def test_list_of_an_empty_store_is_an_empty_object(api: Api) -> None:
    response = api.get("/list")
    assert response.status_code == 200
    assert response.json == {}


def test_round_trip_of_unicode_and_pattern_like_keys(api: Api) -> None:
    pairs = {
        "*": "star",
        "[a]": "brackets",
        "?x": "q",
        "naïve ☃": "snow\nman",
        "a\\b": "back\x00slash",
    }
    for key, value in pairs.items():
        assert api.post("/write", json={"key": key, "value": value}).status_code == 200
    assert api.get("/list").json == pairs
    for key in pairs:
        assert api.delete("/delete", query_string={"key": key}).status_code == 200
    assert api.get("/list").json == {}


def test_health_endpoints_answer(api: Api) -> None:
    assert api.get("/healthz").json == {"status": "alive"}
    assert api.get("/readyz").json == {"status": "ready"}


def test_openapi_document_is_served(api: Api) -> None:
    response = api.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("openapi: 3.1")
