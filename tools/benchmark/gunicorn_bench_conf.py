"""gunicorn config for benchmarked servers: a base config, unchanged, plus a
request counter per worker so the bench can prove every worker carried load
(tools/bench passes this file to gunicorn with -c).

The base config path comes from KV_BENCH_BASE_CONFIG (the service's
gunicorn.conf.py); without it the base is gunicorn's defaults, which the
baselines' command-line flags then shape. Counters live in a
small shared file (KV_BENCH_COUNTERS) of 16-byte slots: slot 0 holds the
master's pid and its configured worker count; each worker then owns one slot
with its pid and its request count, written through mmap (no syscall per
request). Hooks the base config defines are kept and called first.
"""

from __future__ import annotations

import itertools
import mmap
import os
import runpy
import struct
import threading
from typing import Any

SLOTS = 64
SLOT = struct.Struct("<QQ")  # pid, requests served

_base_path = os.environ.get("KV_BENCH_BASE_CONFIG")
_base = runpy.run_path(_base_path) if _base_path else {}
globals().update({k: v for k, v in _base.items() if not k.startswith("_")})
_base_when_ready = _base.get("when_ready")
_base_post_fork = _base.get("post_fork")
_base_post_request = _base.get("post_request")

_state: dict[str, Any] = {}
_lock = threading.Lock()


def _counters() -> mmap.mmap:
    with open(os.environ["KV_BENCH_COUNTERS"], "r+b") as f:
        return mmap.mmap(f.fileno(), SLOTS * SLOT.size)


def when_ready(server: Any) -> None:
    if _base_when_ready is not None:
        _base_when_ready(server)
    SLOT.pack_into(_counters(), 0, os.getpid(), server.num_workers)


def post_fork(server: Any, worker: Any) -> None:
    if _base_post_fork is not None:
        _base_post_fork(server, worker)
    counters = _counters()
    offset = (1 + worker.age % (SLOTS - 1)) * SLOT.size
    SLOT.pack_into(counters, offset, os.getpid(), 0)
    _state.update(counters=counters, offset=offset, served=itertools.count(1))


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    if _base_post_request is not None:
        _base_post_request(worker, req, environ, resp)
    with _lock:
        SLOT.pack_into(_state["counters"], _state["offset"], os.getpid(), next(_state["served"]))
