"""gunicorn settings: the one file used by tools/dev, the tests, and the image.

Every number here can be overridden by an environment variable so the Helm
chart sizes pods without a second config file.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

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

from kv.config import Config, ConfigError
from kv.observability import JsonFormatter

# Fail at start, in the master, with a message naming the bad variable.
try:
    Config.from_env()
except ConfigError as _error:
    raise SystemExit(f"kv: {_error}") from None

bind = [f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8080')}"]  # noqa: S104
# Threaded workers: Redis calls release the GIL, so threads overlap I/O
# (measured ~5x the Flask dev server on 2 cores; see tools/bench).
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Each worker its own listening socket so the kernel spreads connections
# evenly instead of letting one hot worker take most of them.
reuse_port = True
backlog = 2048
# The root filesystem is read-only in production; /dev/shm is always writable.
worker_tmp_dir = "/dev/shm"  # noqa: S108
# Longer than the Google load balancer's 600 s backend keep-alive, so the LB
# never reuses a connection the app has just closed (a source of 502s).
keepalive = 620
timeout = 30
# SIGTERM: finish in-flight requests within this many seconds.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
max_requests = 0
accesslog = None  # the app logs one JSON line per request
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
