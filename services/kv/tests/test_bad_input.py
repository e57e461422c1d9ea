"""Every bad-input rule: a clear JSON error of the one shape, and nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from kv import Config
from tests.kit.kvapi import Api, stored


@pytest.fixture
def small_api(make_api: Any, config: Config) -> Api:
    """Limits small enough to test both sides of them: 8-byte keys, 16-byte values."""
    api: Api = make_api(config.replace(max_key_bytes=8, max_value_bytes=16))
    return api


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data()
    answer = response.json
    assert answer["code"] == code
    assert isinstance(answer["error"], str)
    assert answer["error"]
    assert answer["request_id"] == response.headers["X-Request-ID"]


BAD_WRITES = [
    pytest.param(b"{not json", "application/json", 400, "invalid_json", id="invalid-json"),
    pytest.param(b'{"key": "k", "value": "v"', "application/json", 400, "invalid_json", id="truncated"),
    pytest.param(b"\xff\xfe{}", "application/json", 400, "invalid_json", id="invalid-utf8"),
    pytest.param(b'["key", "value"]', "application/json", 400, "invalid_json", id="array"),
    pytest.param(b'"text"', "application/json", 400, "invalid_json", id="string"),
    pytest.param(b"[]", "application/json", 400, "invalid_json", id="empty-array"),
    pytest.param(b'{"key": "k", "value": NaN}', "application/json", 400, "invalid_json", id="nan"),
    pytest.param(b'{"key": "a", "key": "b", "value": "v"}', "application/json", 400, "invalid_json", id="duplicate-field"),
    pytest.param(b'{"key": 1, "value": "v"}', "application/json", 400, "invalid_field", id="key-number"),
    pytest.param(b'{"key": "k", "value": 1}', "application/json", 400, "invalid_field", id="value-number"),
    pytest.param(b'{"key": "k", "value": null}', "application/json", 400, "missing_field", id="value-null"),
    pytest.param(b'{"key": "k", "value": ""}', "application/json", 400, "missing_field", id="empty-value"),
    pytest.param(b'{"key": "k", "value": {"a": 1}}', "application/json", 400, "invalid_field", id="value-object"),
    pytest.param(b'{"key": "", "value": "v"}', "application/json", 400, "missing_field", id="empty-key"),
    pytest.param(b'{"key": "123456789", "value": "v"}', "application/json", 400, "invalid_field", id="oversized-key"),
    pytest.param(b'{"key": "\\ud800", "value": "v"}', "application/json", 400, "invalid_field", id="lone-surrogate-key"),
    pytest.param(b'{"key": "k", "value": "\\udfff"}', "application/json", 400, "invalid_field", id="lone-surrogate-value"),
    pytest.param(b'{"value": "v"}', "application/json", 400, "missing_field", id="missing-key"),
    pytest.param(b'{"key": "k"}', "application/json", 400, "missing_field", id="missing-value"),
    pytest.param(b'{"key": "k", "value": "v", "ttl": 5}', "application/json", 400, "invalid_field", id="unknown-field"),
    pytest.param(b'{"key": "k", "value": "12345678901234567"}', "application/json", 413, "payload_too_large", id="oversized-value"),
    pytest.param(b'{"key": "k", "value": "v"}', "text/plain", 415, "unsupported_media_type", id="text-plain"),
    pytest.param(b"key=k&value=v", "application/x-www-form-urlencoded", 415, "unsupported_media_type", id="form"),
    pytest.param(b'{"key": "k", "value": "v"}', None, 415, "unsupported_media_type", id="no-content-type"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "content_type", "status", "code"), BAD_WRITES)
def test_bad_write_is_rejected_and_changes_nothing(
    small_api: Api,
    raw: redis.Redis,
    prefix: str,
    body: bytes,
    content_type: str | None,
    status: int,
    code: str,
) -> None:
    raw.set(prefix + "k", "before")
    headers = {"Content-Type": content_type} if content_type else {}
    response = small_api.post("/write", data=body, headers=headers)
    assert_error(response, status, code)
    assert stored(raw, prefix) == {"k": "before"}


def test_deeply_nested_json_is_400(api: Api, raw: redis.Redis, prefix: str) -> None:
    response = api.post(
        "/write", data=b"[" * 100_000 + b"]" * 100_000, content_type="application/json"
    )
    assert_error(response, 400, "invalid_json")
    assert stored(raw, prefix) == {}


def test_body_over_the_limit_is_413_before_parsing(
    small_api: Api, raw: redis.Redis, prefix: str
) -> None:
    response = small_api.post("/write", data=b"x" * 100_000, content_type="application/json")
    assert_error(response, 413, "payload_too_large")
    assert stored(raw, prefix) == {}


def test_key_limit_counts_utf8_bytes_not_characters(
    small_api: Api, raw: redis.Redis, prefix: str
) -> None:
    assert small_api.post("/write", json={"key": "ééé", "value": "v"}).status_code == 200  # 6 bytes
    response = small_api.post("/write", json={"key": "éééé€", "value": "v"})  # 11 bytes
    assert_error(response, 400, "invalid_field")
    assert stored(raw, prefix) == {"ééé": "v"}


def test_key_at_the_limit_is_accepted(small_api: Api, raw: redis.Redis, prefix: str) -> None:
    assert (
        small_api.post("/write", json={"key": "12345678", "value": "1234567890123456"}).status_code
        == 200
    )
    assert stored(raw, prefix) == {"12345678": "1234567890123456"}


@pytest.mark.parametrize("count", ["0", "101", "-1", "abc", "1.5", "9" * 5000, "²"])
def test_random_write_with_bad_count_is_400_and_writes_nothing(
    api: Api, raw: redis.Redis, prefix: str, count: str
) -> None:
    response = api.post("/write", query_string={"count": count})
    assert_error(response, 400, "invalid_parameter")
    assert stored(raw, prefix) == {}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        pytest.param("key=", "invalid_parameter", id="empty-key"),
        pytest.param("key=" + "x" * 2000, "invalid_field", id="oversized-key"),
        pytest.param("key=a&key=b", "invalid_parameter", id="repeated-key"),
        pytest.param("key=a&force=1", "invalid_parameter", id="unknown-parameter"),
        pytest.param("keys=a", "invalid_parameter", id="misspelt-parameter"),
    ],
)
def test_bad_delete_is_400_and_deletes_nothing(
    api: Api, raw: redis.Redis, prefix: str, query: str, code: str
) -> None:
    raw.set(prefix + "a", "kept")
    response = api.delete("/delete?" + query)
    assert_error(response, 400, code)
    assert stored(raw, prefix) == {"a": "kept"}


def test_write_with_query_parameters_and_a_body_is_400(
    api: Api, raw: redis.Redis, prefix: str
) -> None:
    response = api.post("/write?count=2", json={"key": "k", "value": "v"})
    assert_error(response, 400, "invalid_parameter")
    assert stored(raw, prefix) == {}


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=x",
        "limit=99999999",
        "cursor=abc",
        "cursor=-1",
        "cursor=%C2%B2",  # a superscript two: a digit to str.isdigit(), not to int()
        "cursor=%D9%A1%D9%A2",  # Arabic-Indic digits: int() reads them, we never hand them out
        "cursor=1.%C2%B2",
        "cursor=%C2%B2.0",
        # Past 2**64 - 1: Redis refuses it ("invalid cursor"), which once surfaced as a 503.
        "cursor=18446744073709551616",
        "cursor=99999999999999999999",
        "cursor=0.18446744073709551616",
        "cursor=1&cursor=2",
        "page=2",
    ],
)
def test_bad_list_parameters_are_400(api: Api, query: str) -> None:
    assert_error(api.get("/list?" + query), 400, "invalid_parameter")


def test_unknown_path_is_json_404(api: Api) -> None:
    assert_error(api.get("/nope"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/write"), ("PUT", "/write"), ("POST", "/delete"), ("POST", "/list"), ("DELETE", "/"),
     ("OPTIONS", "/write"), ("OPTIONS", "/list")],
)  # fmt: skip
def test_wrong_method_is_json_405_with_allow(api: Api, method: str, path: str) -> None:
    response = api.request(method, path)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"]
    assert "OPTIONS" not in response.headers["Allow"]


def test_index_rejects_unknown_parameters(api: Api) -> None:
    assert_error(api.get("/?debug=1"), 400, "invalid_parameter")
