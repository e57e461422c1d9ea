"""The wrk Lua script sends what the bench claims: spread keys, valid bodies,
every DELETE for a different key, the bearer token where needed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tools.benchmark import wrk
from tools.testkit.tooling import require_tool

TOKEN = "bench-test-token"  # noqa: S105 (a test value, not a secret)


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Recorder

    def _record(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.seen.append((self.command, self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    # http.server dispatches on these names.
    do_GET = do_POST = do_DELETE = _record  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    require_tool("wrk")
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def port(server: Recorder) -> int:
    return int(server.server_address[1])


def test_writes_carry_valid_json_spread_over_many_keys_with_the_token(recorder: Recorder) -> None:
    result = wrk.run(
        port(recorder), wrk.POST_WRITE, 4, 1, token=TOKEN, keyspace=1000, value_bytes=10
    )
    assert result.requests > 0
    keys = []
    for method, path, headers, body in recorder.seen:
        assert (method, path) == ("POST", "/write")
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert headers["Content-Type"] == "application/json"
        doc = json.loads(body)
        assert doc["value"] == "v" * 10
        keys.append(doc["key"])
    assert len(set(keys)) >= min(len(keys), 1000) * 0.5
    assert all(k.startswith("bench-") and 0 <= int(k[6:]) < 1000 for k in keys)


def test_every_delete_targets_a_different_key_from_the_offset_on(recorder: Recorder) -> None:
    result = wrk.run(
        port(recorder), wrk.DELETE, 4, 1, token=TOKEN, key_prefix="del-", key_offset=500
    )
    paths = [path for method, path, _, _ in recorder.seen if method == "DELETE"]
    assert len(paths) == len(recorder.seen) >= result.requests > 0
    assert len(set(paths)) == len(paths)
    indexes = sorted(int(p.rsplit("del-", 1)[1]) for p in paths)
    # Threads interleave from the offset, so the keys used start at the
    # offset and stay in a range about as long as the requests sent; wrk may
    # build requests it never sends (seen: up to 6 on a busy machine), so the
    # range is allowed some slack, but not random keys from the whole space.
    threads = 2
    assert 500 <= indexes[0] < 500 + 2 * threads
    assert indexes[-1] < indexes[0] + 2 * len(indexes) + 2 * threads


def test_reads_send_no_token_and_report_latency_percentiles(recorder: Recorder) -> None:
    result = wrk.run(port(recorder), wrk.GET_ROOT, 2, 1, token=TOKEN)
    assert {(m, p) for m, p, _, _ in recorder.seen} == {("GET", "/")}
    assert all("Authorization" not in h for _, _, h, _ in recorder.seen)
    assert result.non_2xx == 0
    assert 0 < result.p50_ms <= result.p99_ms <= result.max_ms


def test_a_missing_result_line_is_an_error_not_a_zero() -> None:
    with pytest.raises(RuntimeError, match="no result line"):
        wrk.parse("Running 1s test @ http://127.0.0.1:1/\n", 0.0)
