"""gunicorn settings: the one file used by tools/dev, the tests, and the image.

Every number here can be overridden by an environment variable so the Helm
chart sizes pods without a second config file.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from typing import Any

from gunicorn import util as _gunicorn_util  # type: ignore[import-untyped]
from gunicorn.glogging import Logger as _GunicornLogger  # type: ignore[import-untyped]

# Prometheus multiprocess mode: each worker writes its samples to files that
# /metrics merges, so a scrape sees the whole pod rather than one worker. It
# must be set before prometheus_client is first imported (by kv below).
# A fresh start clears samples left by an earlier container in the same pod.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    for _stale in os.listdir(os.environ["PROMETHEUS_MULTIPROC_DIR"]):
        if _stale.endswith(".db"):
            os.remove(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], _stale))
else:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="kv-metrics-")

from kv import lifecycle
from kv.config import Config, ConfigError
from kv.observability import JsonFormatter

# Fail at start, in the master, with a message naming the bad variable.
try:
    _config = Config.from_env()
except ConfigError as _error:
    raise SystemExit(f"kv: {_error}") from None


def _server_setting(name: str, default: str, high: int) -> int:
    """A whole-number server setting from the environment, or a start-up
    failure that names the variable (like every setting kv.config reads)."""
    raw = os.environ.get(name, "").strip() or default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6 and 1 <= int(raw) <= high):
        raise SystemExit(f"kv: {name}: must be an integer from 1 to {high}, got {raw!r}")
    return int(raw)


bind = [f"{os.environ.get('HOST', '0.0.0.0')}:{_server_setting('PORT', '8080', 65535)}"]  # noqa: S104
# Threaded workers: Redis calls release the GIL, so threads overlap I/O
# (measured ~5x the Flask dev server on 2 cores; see tools/bench).
worker_class = "gthread"
workers = _server_setting("GUNICORN_WORKERS", "2", 64)
threads = _server_setting("GUNICORN_THREADS", "4", 256)
# Each thread holds at most one Redis connection (per node) at a time; a
# smaller pool would turn a busy moment into "too many connections" 503s.
if _config.redis_max_connections < threads:
    raise SystemExit(
        f"kv: KV_REDIS_MAX_CONNECTIONS ({_config.redis_max_connections}) must be at least "
        f"GUNICORN_THREADS ({threads})"
    )
# Workers share the listening socket and accept when free, so a busy worker
# takes fewer new connections; tools/bench checks that every worker carries load.
backlog = 2048
# The root filesystem is read-only in production; /dev/shm is always writable.
worker_tmp_dir = "/dev/shm"  # noqa: S108
# Longer than the Google load balancer's 600 s backend keep-alive, so the LB
# never reuses a connection the app has just closed (a source of 502s).
keepalive = 620
timeout = 30
# SIGTERM: drain for KV_SHUTDOWN_DRAIN_S (see on_starting), then finish
# in-flight requests within this many seconds. The pod's
# terminationGracePeriodSeconds must exceed the sum.
graceful_timeout = _server_setting("GUNICORN_GRACEFUL_TIMEOUT", "25", 3600)
max_requests = 0
accesslog = None  # the app logs one JSON line per request


class _NoAccessLog(_GunicornLogger):  # type: ignore[misc]
    """gunicorn still builds its access-log fields when logconfig_dict is set,
    even with no handler; the app logs each request itself, so skip that work."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None


logger_class = _NoAccessLog

# Requests gunicorn itself refuses before the app sees them (a request line
# over limit_request_line, bad headers, malformed HTTP) get the service's one
# JSON error shape too, instead of gunicorn's HTML page.
_GUNICORN_ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    431: "headers_too_large",
    501: "not_implemented",
}


def _json_write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    body = json.dumps(
        {
            "error": {
                "code": _GUNICORN_ERROR_CODES.get(status_int, "internal_error"),
                "message": mesg,
                "request_id": "",
            }
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    _gunicorn_util.write_nonblock(sock, head.encode("latin-1") + body)


_gunicorn_util.write_error = _json_write_error
loglevel = os.environ.get("KV_LOG_LEVEL", "info").lower()
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonFormatter}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"handlers": ["stderr"], "level": loglevel.upper()},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": [], "propagate": False},
    },
}


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_starting(server: Any) -> None:
    """SIGTERM drains before it stops: readiness fails at once, the listener
    stays open KV_SHUTDOWN_DRAIN_S longer so the load balancer can take this
    pod out of rotation, then gunicorn's graceful stop runs as usual.

    The master keeps supervising workers while it drains (its loop runs on);
    SIGINT or SIGQUIT still stop it at once.
    """
    drain_s = _config.shutdown_drain_s
    deadline: list[float] = []
    stop_now = server.handle_term
    sleep = server.sleep

    def handle_term() -> None:
        if drain_s <= 0:
            stop_now()
        if not deadline:
            lifecycle.DRAINING.start()
            deadline.append(time.monotonic() + drain_s)
            server.log.info("SIGTERM: draining for %.1f s before closing the listener", drain_s)

    def sleep_or_stop() -> None:
        if not deadline:
            return sleep()  # type: ignore[no-any-return]
        remaining = deadline[0] - time.monotonic()
        if remaining > 1.0:
            return sleep()  # type: ignore[no-any-return]
        time.sleep(max(remaining, 0.0))
        server.log.info("drained: closing the listener, finishing in-flight requests")
        stop_now()  # raises StopIteration: the arbiter's graceful halt

    server.handle_term = handle_term
    server.sleep = sleep_or_stop


def pre_request(worker: Any, req: Any) -> None:
    # While draining, close each keep-alive connection after its next
    # response, so none is left idle for the listener shutdown to cut.
    if lifecycle.DRAINING.is_set():
        req.must_close = True


# Liveness has its own listener (KV_HEALTH_PORT), served by a thread in the
# master, never by the request threads: when a slow Redis holds every request
# thread, /healthz on the request port waits in the queue and the kubelet
# would restart healthy pods exactly under load. The master answers while it
# runs with workers; a worker that stops heartbeating is gunicorn's to
# replace (timeout above).
health_port = _server_setting("KV_HEALTH_PORT", "8081", 65535)
_liveness: list[Any] = []


def when_ready(server: Any) -> None:
    import http.server
    import threading

    from kv.app import ALIVE

    class _Liveness(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            alive = self.path == "/healthz" and bool(server.WORKERS)
            self.send_response(200 if alive else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(ALIVE) if alive else 0))
            self.end_headers()
            if alive:
                self.wfile.write(ALIVE)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    httpd = http.server.ThreadingHTTPServer(
        (os.environ.get("HOST", "0.0.0.0"), health_port),  # noqa: S104
        _Liveness,
    )
    threading.Thread(target=httpd.serve_forever, name="kv-liveness", daemon=True).start()
    _liveness.append(httpd)


def post_fork(server: Any, worker: Any) -> None:
    # Workers forked after when_ready inherit the liveness socket: only the
    # master may hold it, so liveness fails once the master is gone.
    for httpd in _liveness:
        httpd.socket.close()
