"""The chart's probes, sent as the kubelet sends them, to the real service
under the production gunicorn config:
- the startup probe passes while Redis is away (a pod started during a Redis
  outage waits unready instead of being killed into CrashLoopBackOff);
- the liveness probe passes while a slow Redis holds every request thread, so
  a slow Redis cannot restart pods under load. The control: the same probe on
  the request port fails under the same load (the configuration the chart had
  before), so the load really fills the threads."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis
from tests.kit.processes import Gunicorn, RedisServer, free_port

from deploy.tests.manifests import Manifest, container, env_of

# Concurrent clients: several times the pod's request threads (2 x 4).
CLIENTS = 96
# Each stall outlasts the service's Redis command timeout (1 s), so every
# request holds its thread that long.
STALL_S = "2"
# Longest wait for the load to fill the request threads.
SATURATION_DEADLINE_S = 60


def probe(url: str, timeout: float) -> bool:
    """One kubelet HTTP probe: success is a 2xx/3xx answer within the timeout."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            status: int = response.status
            return 200 <= status < 400
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return False


def test_liveness_passes_while_a_slow_redis_fills_every_request_thread(
    tmp_path: Path, default_manifests: list[Manifest]
) -> None:
    kv = container(default_manifests)
    env = env_of(default_manifests)
    liveness = kv["livenessProbe"]
    path, timeout = liveness["httpGet"]["path"], liveness["timeoutSeconds"]

    redis_server = RedisServer(
        tmp_path / "redis", extra=("--enable-debug-command", "local")
    ).start()
    health_port = free_port()
    server = Gunicorn(
        {
            "REDIS_URL": redis_server.url,
            "GUNICORN_WORKERS": env["GUNICORN_WORKERS"],
            "GUNICORN_THREADS": env["GUNICORN_THREADS"],
            "KV_HEALTH_PORT": str(health_port),
            "KV_STATUS_CACHE_S": "0",
            "KV_SHUTDOWN_DRAIN_S": "0",
            "KV_LOG_LEVEL": "WARNING",
        },
        tmp_path / "gunicorn.log",
    ).start()
    # The probe names its port; the chart's names mapped to this server's ports.
    probed_port = {"http": server.port, "health": health_port}[liveness["httpGet"]["port"]]
    stop = threading.Event()

    def stall_redis() -> None:
        client = redis.Redis(port=redis_server.port, socket_timeout=5)
        while not stop.is_set():
            client.execute_command("DEBUG", "SLEEP", STALL_S)  # type: ignore[no-untyped-call]

    def load() -> None:
        while not stop.is_set():
            probe(f"{server.url}/readyz", timeout=30)

    try:
        assert probe(f"http://127.0.0.1:{probed_port}{path}", timeout), server.logs()
        staller = threading.Thread(target=stall_redis, daemon=True)
        staller.start()
        # Liveness is probed right after the same probe on the request port
        # failed, so each counted result was taken while the request threads
        # were full (the control); how soon they fill depends on the machine.
        saturated: list[bool] = []
        deadline = time.monotonic() + SATURATION_DEADLINE_S
        with ThreadPoolExecutor(CLIENTS) as pool:
            for _ in range(CLIENTS):
                pool.submit(load)
            while len(saturated) < liveness["failureThreshold"] and time.monotonic() < deadline:
                if not probe(f"{server.url}{path}", timeout):
                    saturated.append(probe(f"http://127.0.0.1:{probed_port}{path}", timeout))
            stop.set()
        staller.join(timeout=10)
    finally:
        stop.set()
        server.stop()
        redis_server.stop()
    assert len(saturated) == liveness["failureThreshold"], (
        f"the load did not fill the request threads within {SATURATION_DEADLINE_S} s "
        f"(control): liveness probed under a full request port {len(saturated)} times"
    )
    assert all(saturated), f"liveness failed under a slow Redis: {saturated}"


def test_the_startup_probe_passes_while_redis_is_away(
    tmp_path: Path, default_manifests: list[Manifest]
) -> None:
    kv = container(default_manifests)
    startup = kv["startupProbe"]
    assert startup["httpGet"]["port"] == "http"
    server = Gunicorn(
        # Nothing listens on this port: Redis is away.
        {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "KV_HEALTH_PORT": str(free_port()),
         "KV_SHUTDOWN_DRAIN_S": "0", "KV_LOG_LEVEL": "WARNING"},
        tmp_path / "gunicorn.log",
    ).start()  # fmt: skip
    try:
        readiness = probe(f"{server.url}{kv['readinessProbe']['httpGet']['path']}", 2)
        started = probe(f"{server.url}{startup['httpGet']['path']}", startup["timeoutSeconds"])
    finally:
        server.stop()
    assert not readiness, "readiness passed without Redis (control)"
    assert started, "the startup probe fails while Redis is away: the kubelet would restart the pod"
