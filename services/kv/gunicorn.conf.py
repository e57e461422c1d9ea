"""gunicorn settings: the one file used by tools/dev, the tests, and the image.

Its settings come from kv.config.Config, the service's one configuration
reader (HOST, PORT, GUNICORN_*), so the Helm chart sizes pods through the
same environment variables as everything else.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

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

from kv.config import ConfigError, process_config
from kv.observability import JsonFormatter

# The one configuration reader (kv.config), also for the server's own
# settings; a bad value fails at start, in the master, naming the variable.
try:
    _config = process_config()
except ConfigError as _error:
    raise SystemExit(f"kv: {_error}") from None

bind = [f"{_config.host}:{_config.port}"]
# Threaded workers: Redis calls release the GIL, so threads overlap I/O
# (measured ~5x the Flask dev server on 2 cores; see tools/bench).
worker_class = "gthread"
workers = _config.gunicorn_workers
threads = _config.gunicorn_threads
# Workers share the listening socket and accept when free, so a busy worker
# takes fewer new connections; tools/bench checks that every worker carries load.
backlog = 2048
# The root filesystem is read-only in production; /dev/shm is always writable.
worker_tmp_dir = "/dev/shm"  # noqa: S108
# Longer than the Google load balancer's 600 s backend keep-alive, so the LB
# never reuses a connection the app has just closed (a source of 502s).
keepalive = 620
timeout = 30
# SIGTERM (after the pod's preStop sleep has taken it out of the load
# balancer): close the listener, finish in-flight requests within this many
# seconds. The pod's terminationGracePeriodSeconds must exceed preStop + this.
graceful_timeout = _config.gunicorn_graceful_timeout
max_requests = 0
accesslog = None  # the app logs one JSON line per request


class _NoAccessLog(_GunicornLogger):  # type: ignore[misc]
    """gunicorn still builds its access-log fields when logconfig_dict is set,
    even with no handler; the app logs each request itself, so skip that work."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None


logger_class = _NoAccessLog

loglevel = _config.log_level.lower()
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


# Liveness has its own listener (KV_HEALTH_PORT), served by a thread in the
# master, never by the request threads: when a slow Redis holds every request
# thread, /healthz on the request port waits in the queue and the kubelet
# would restart healthy pods exactly under load. The master answers while it
# runs with workers; a worker that stops heartbeating is gunicorn's to
# replace (timeout above).
_liveness: list[Any] = []


def when_ready(server: Any) -> None:
    import http.server
    import threading

    from kv.operations import ALIVE

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

    httpd = http.server.ThreadingHTTPServer((_config.host, _config.health_port), _Liveness)
    threading.Thread(target=httpd.serve_forever, name="kv-liveness", daemon=True).start()
    _liveness.append(httpd)


def post_fork(server: Any, worker: Any) -> None:
    # Workers forked after when_ready inherit the liveness socket: only the
    # master may hold it, so liveness fails once the master is gone.
    for httpd in _liveness:
        httpd.socket.close()
