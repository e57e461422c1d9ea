"""The service as production runs it: gunicorn with the production config,
over real HTTP, against a real Redis."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from kv import Config
from tests.kit.openapi import OpenApiDocument
from tests.kit.processes import Gunicorn, RedisServer


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[Gunicorn]:
    tmp = tmp_path_factory.mktemp("gunicorn")
    env = {
        "REDIS_URL": redis_server.url,
        "KV_KEY_PREFIX": "gunicorn-test:",
        "KV_GCP_PROJECT": "example-kv-prod",
    }
    server = Gunicorn(env, tmp / "server.log").start()
    yield server
    server.stop()


def check(openapi: OpenApiDocument, method: str, path: str, response: requests.Response) -> None:
    openapi.check_response(method, path, response.status_code, response.headers, response.content)


def test_contract_over_http(server: Gunicorn, openapi: OpenApiDocument) -> None:
    with requests.Session() as http:
        calls: list[tuple[str, str, dict[str, Any], int]] = [
            ("POST", "/write", {"json": {"key": "http", "value": "ok"}}, 200),
            ("POST", "/write?count=3", {}, 200),
            ("GET", "/list", {}, 200),
            ("GET", "/list?limit=2", {}, 200),
            ("DELETE", "/delete?key=http", {}, 200),
            ("DELETE", "/delete?key=http", {}, 404),
            ("POST", "/write", {"data": "{", "headers": {"Content-Type": "application/json"}}, 400),
            ("GET", "/", {}, 200),
            ("GET", "/readyz", {}, 200),
            ("GET", "/no-such-path", {}, 404),
        ]
        for method, path, kwargs, status in calls:
            response = http.request(method, server.url + path, timeout=10, **kwargs)
            assert response.status_code == status, (method, path, response.text)
            check(openapi, method, path, response)


def test_large_list_is_sent_chunked(server: Gunicorn) -> None:
    with requests.Session() as http:
        for _ in range(20):
            http.post(server.url + "/write?count=100", timeout=10).raise_for_status()
        response = http.get(server.url + "/list", timeout=10, stream=True)
        assert response.headers.get("Transfer-Encoding") == "chunked"
        assert len(json.loads(response.content)) >= 2000


def test_metrics_add_up_every_worker(server: Gunicorn) -> None:
    with requests.Session() as http:
        marker = "/healthz"
        before = _count(http.get(server.url + "/metrics", timeout=10).text, marker)
        sent = 200
        for _ in range(sent):
            http.get(server.url + marker, timeout=10)
    # New connections land on either worker (reuse_port); the sum must be exact.
    seen = set()
    for _ in range(20):
        text = requests.get(server.url + "/metrics", timeout=10).text
        seen.add(_count(text, marker) - before)
    assert seen == {sent}


def _count(metrics: str, route: str) -> float:
    pattern = re.compile(
        r'^kv_http_requests_total\{method="GET",route="'
        + re.escape(route)
        + r'",status="200"\} (\S+)$',
        re.M,
    )
    match = pattern.search(metrics)
    return float(match.group(1)) if match else 0.0


def test_request_id_is_honoured_and_logged_as_json(server: Gunicorn) -> None:
    headers = {
        "X-Request-ID": "req-abc.123",
        "X-Cloud-Trace-Context": "0123456789abcdef0123456789abcdef/42;o=1",
    }
    response = requests.get(server.url + "/healthz", headers=headers, timeout=10)
    assert response.headers["X-Request-ID"] == "req-abc.123"
    generated = requests.get(server.url + "/healthz", timeout=10).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    hostile = requests.get(
        server.url + "/healthz", headers={"X-Request-ID": "a b\x7f" * 100}, timeout=10
    )
    assert hostile.headers["X-Request-ID"] != "a b\x7f" * 100

    entry = _log_entry(server.log_path, "req-abc.123")
    assert entry["severity"] == "INFO"
    assert entry["httpRequest"]["status"] == 200
    assert entry["httpRequest"]["requestMethod"] == "GET"
    assert entry["route"] == "/healthz"
    assert entry["logging.googleapis.com/trace"] == (
        "projects/example-kv-prod/traces/0123456789abcdef0123456789abcdef"
    )
    assert entry["logging.googleapis.com/spanId"] == format(42, "016x")


def _log_entry(path: Path, request_id: str) -> dict[str, Any]:
    for line in path.read_text().splitlines():
        if request_id in line:
            entry: dict[str, Any] = json.loads(line)
            return entry
    raise AssertionError(f"no log line for {request_id}")


def test_every_log_line_is_json(server: Gunicorn) -> None:
    requests.get(server.url + "/", timeout=10)
    lines = [line for line in server.logs().splitlines() if line.strip()]
    assert lines
    for line in lines:
        assert "severity" in json.loads(line), line


def _raw_exchange(server: Gunicorn, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends raw bytes and reads the whole answer (gunicorn closes after an error)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        pytest.param(b"GET /list?" + b"x" * 5000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 400,
                     id="request-line-too-long"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"y" * 9000 + b"\r\n\r\n", 431,
                     id="header-too-large"),
        pytest.param(b"NOT HTTP AT ALL\r\n\r\n", 400, id="garbage"),
    ],
)  # fmt: skip
def test_requests_gunicorn_refuses_get_its_own_4xx_page_not_a_500(
    server: Gunicorn, openapi: OpenApiDocument, request_bytes: bytes, status: int
) -> None:
    # gunicorn answers these before the app runs and has no public way to
    # shape the answer: its HTML page, documented in openapi.yaml and in
    # services/README.md ("upstream vs this service").
    got, headers, body = _raw_exchange(server, request_bytes)
    assert got == status
    assert headers["Content-Type"] == "text/html"
    assert headers["Connection"] == "close"
    assert body
    openapi.check_response("GET", "/", got, headers, body)


def test_a_chunked_body_over_the_limit_is_413_not_cut_short(
    server: Gunicorn, redis_server: RedisServer
) -> None:
    # A chunked body has no Content-Length to refuse up front; Werkzeug stops
    # reading at the limit without complaint, so this once stored the pair:
    # the first limit bytes (JSON, then spaces) parse, the rest was ignored.
    limit = Config().body_limit
    pair = b'{"key": "chunked-over-limit", "value": "v"}'
    body = pair + b" " * (limit - len(pair)) + b"this is past the limit"

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    response = requests.post(
        server.url + "/write",
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "payload_too_large"
    client = redis.Redis.from_url(redis_server.url)
    try:
        assert client.get("gunicorn-test:chunked-over-limit") is None
    finally:
        client.close()
