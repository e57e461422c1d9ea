"""Graceful shutdown of the real gunicorn process under load.

What a rolling update needs from a pod: on SIGTERM readiness fails at once
while traffic is still served, the listener closes only after the drain
period, requests in flight when it closes still complete, and no accepted
connection is reset. The load stops sending new requests shortly after it
sees readiness fail, as the load balancer does when it takes the pod out.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import threading
import time
from pathlib import Path

import redis

from tools.testkit.load import Load
from tools.testkit.processes import Gunicorn, RedisServer

DRAIN_S = 1.5
# How long the "load balancer" keeps sending after readiness fails.
DEPROGRAM_S = 0.3


class ReadinessProbe(threading.Thread):
    """Polls /readyz on fresh connections, noting when it first fails and when
    the port first refuses connections."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.not_ready_at: float | None = None
        self.refused_at: float | None = None

    def run(self) -> None:
        deadline = time.monotonic() + 30
        while self.refused_at is None and time.monotonic() < deadline:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.connect()
            except OSError:
                self.refused_at = time.monotonic()
                break
            try:
                connection.request("GET", "/readyz")
                response = connection.getresponse()
                response.read()
                if response.status == 503 and self.not_ready_at is None:
                    self.not_ready_at = time.monotonic()
            except (OSError, http.client.HTTPException):
                pass  # a probe racing the close; the load below is what must not see resets
            finally:
                connection.close()
            time.sleep(0.05)


def test_sigterm_fails_readiness_then_drains_without_resetting_connections(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    prefix = "shutdown:"
    server = Gunicorn(
        {
            "REDIS_URL": redis_server.url,
            "KV_KEY_PREFIX": prefix,
            "KV_SHUTDOWN_DRAIN_S": str(DRAIN_S),
            "KV_LOG_LEVEL": "WARNING",
        },
        tmp_path / "server.log",
    ).start()
    assert server.proc is not None
    # A request in flight across the listener close: headers and half the body now.
    body = json.dumps({"key": "in-flight", "value": "x" * 5000}).encode()
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    slow.sendall(
        b"POST /write HTTP/1.1\r\nHost: kv\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[: len(body) // 2]
    )
    fresh = Load(server.port, threads=2, fresh_connections=True).start()
    kept = Load(server.port, threads=2, fresh_connections=False).start()
    probe = ReadinessProbe(server.port)
    time.sleep(0.5)

    sigterm_at = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    probe.start()
    while probe.not_ready_at is None and time.monotonic() < sigterm_at + 10:
        time.sleep(0.01)
    time.sleep(DEPROGRAM_S)
    outcomes = fresh.stop() + kept.stop()
    probe.join(30)

    slow.sendall(body[len(body) // 2 :])  # the listener is closed by now
    reply = slow.recv(65536).decode()
    slow.close()
    exit_code = server.proc.wait(30)
    server.proc = None

    assert probe.not_ready_at is not None, "readiness never failed"
    assert probe.refused_at is not None, "the listener never closed"
    print(
        f"\n[graceful shutdown] readiness failed {probe.not_ready_at - sigterm_at:.2f}s and "
        f"the listener closed {probe.refused_at - sigterm_at:.2f}s after SIGTERM; "
        f"{len(outcomes)} requests under load, every one answered"
    )
    assert probe.not_ready_at - sigterm_at < 0.5
    assert probe.refused_at - sigterm_at >= DRAIN_S - 0.1, "listener closed before the drain ended"
    resets = [o for o in outcomes if o.failure and o.failure.startswith("reset")]
    assert resets == [], f"accepted connections were reset: {resets[:3]}"
    assert outcomes
    assert all(o.ok for o in outcomes), "traffic must be served while draining"
    assert reply.startswith("HTTP/1.1 201"), reply[:200]
    assert exit_code == 0
    with redis.Redis.from_url(redis_server.url, decode_responses=True) as raw:
        assert raw.get(prefix + "in-flight") == "x" * 5000
        keys = list(raw.scan_iter(match=prefix + "*"))
        raw.delete(*keys)
