"""Graceful shutdown of the real gunicorn process, as Kubernetes stops a pod.

A deleted pod leaves the Service endpoints (and the load balancer) while its
preStop sleep runs; only then does the kubelet send SIGTERM. So the question
is whether gunicorn's own graceful stop, after traffic has moved away, loses
anything: a request in flight across the listener close must complete, no
accepted connection may be reset, every acknowledged write must be stored,
and the process must exit cleanly. The second test measures the same stop
with traffic still arriving (no preStop sleep), which is what the sleep is for.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections import Counter
from pathlib import Path

import redis
from tests.kit.load import Load, Outcome
from tests.kit.processes import Gunicorn, RedisServer

# Long enough for in-flight requests to finish after the load balancer stops
# sending (the chart's preStop sleep is far longer; here only the order matters).
PRESTOP_S = 0.5


class ListenerWatch(threading.Thread):
    """Notes when the port first refuses a connection (the listener closed)."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.refused_at: float | None = None

    def run(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                self.refused_at = time.monotonic()
                return
            time.sleep(0.01)


def start(tmp_path: Path, redis_server: RedisServer, prefix: str) -> Gunicorn:
    env = {"REDIS_URL": redis_server.url, "KV_KEY_PREFIX": prefix, "KV_LOG_LEVEL": "WARNING"}
    server = Gunicorn(env, tmp_path / "server.log").start()
    assert server.proc is not None
    return server


def half_sent_write(port: int, body: bytes) -> socket.socket:
    """A POST /write whose headers and first half of the body are sent."""
    slow = socket.create_connection(("127.0.0.1", port), timeout=30)
    slow.sendall(
        b"POST /write HTTP/1.1\r\nHost: kv\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[: len(body) // 2]
    )
    return slow


def lost_writes(redis_server: RedisServer, prefix: str, outcomes: list[Outcome]) -> list[str]:
    """Keys of acknowledged writes that Redis does not hold; cleans up the prefix.

    Two loads write the same key names, so a key holds whichever write came
    last: lost means absent, or holding a value no write sent."""
    sent: dict[str, set[str | None]] = {}
    for o in outcomes:
        if o.key:
            sent.setdefault(o.key, set()).add(o.value)
    acknowledged = {o.key for o in outcomes if o.key and o.ok}
    with redis.Redis.from_url(redis_server.url, decode_responses=True) as raw:
        lost = [key for key in acknowledged if raw.get(prefix + key) not in sent[key]]
        keys = list(raw.scan_iter(match=prefix + "*"))
        if keys:
            raw.delete(*keys)
    return lost


def by_outcome(outcomes: list[Outcome]) -> dict[str, int]:
    return dict(Counter(str(o.status) if o.status else str(o.failure)[:5] for o in outcomes))


def test_after_the_prestop_sleep_gunicorns_graceful_stop_loses_nothing(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    prefix = "shutdown:"
    server = start(tmp_path, redis_server, prefix)
    assert server.proc is not None
    body = json.dumps({"key": "in-flight", "value": "x" * 5000}).encode()
    slow = half_sent_write(server.port, body)
    fresh = Load(server.port, threads=2, fresh_connections=True).start()
    kept = Load(server.port, threads=2, fresh_connections=False).start()
    time.sleep(1.5)

    # The pod is deleted: the load balancer stops sending, preStop sleeps.
    outcomes = fresh.stop() + kept.stop()
    time.sleep(PRESTOP_S)
    sigterm_at = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    watch = ListenerWatch(server.port)
    watch.start()
    watch.join(30)
    slow.sendall(body[len(body) // 2 :])  # the listener is closed by now
    reply = slow.recv(65536).decode()
    slow.close()
    exit_code = server.proc.wait(30)
    exited_at = time.monotonic()
    server.stop()  # reaps the exited master

    assert watch.refused_at is not None, "the listener never closed"
    print(
        f"\n[shutdown after preStop] {len(outcomes)} requests before, by outcome "
        f"{by_outcome(outcomes)}; listener closed {watch.refused_at - sigterm_at:.2f}s and "
        f"the process exited {exited_at - sigterm_at:.2f}s after SIGTERM; "
        f"in-flight write: {reply.splitlines()[0] if reply else 'no answer'}"
    )
    assert outcomes
    assert all(o.ok for o in outcomes), by_outcome(outcomes)
    assert reply.startswith("HTTP/1.1 200"), reply[:200]
    assert exit_code == 0
    with redis.Redis.from_url(redis_server.url, decode_responses=True) as raw:
        assert raw.get(prefix + "in-flight") == "x" * 5000
    assert lost_writes(redis_server, prefix, outcomes) == []


def test_without_the_prestop_sleep_no_acknowledged_write_is_lost(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """SIGTERM under load: new connections are refused once the listener
    closes (what the preStop sleep prevents); nothing acknowledged is lost."""
    prefix = "shutdown-loaded:"
    server = start(tmp_path, redis_server, prefix)
    assert server.proc is not None
    fresh = Load(server.port, threads=2, fresh_connections=True).start()
    kept = Load(server.port, threads=2, fresh_connections=False).start()
    time.sleep(0.5)
    sigterm_at = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    exit_code = server.proc.wait(30)
    server.stop()  # reaps the exited master
    time.sleep(0.2)
    outcomes = fresh.stop() + kept.stop()
    after = [o for o in outcomes if o.started >= sigterm_at]
    print(
        f"\n[shutdown under load] {len(outcomes)} requests, {len(after)} after SIGTERM, "
        f"by outcome {by_outcome(after)}"
    )
    assert exit_code == 0
    assert not [o for o in outcomes if o.status is not None and o.status >= 500]
    assert lost_writes(redis_server, prefix, outcomes) == []
