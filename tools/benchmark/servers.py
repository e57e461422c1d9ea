"""The three servers of a bench run, each started the way it is meant to run.

- service: the kv service under gunicorn with its own gunicorn.conf.py and
  every production feature on (auth tokens file set, JSON logs, metrics).
- upstream: the upstream app (apps/upstream.py), served as its Dockerfile
  serves it: `gunicorn -w 4`, sync workers.
- floor: the least a Flask view on redis-py can do per call (apps/floor.py),
  on the service's gunicorn shape as gunicorn reads it from the service's config.

Each server gets its own redis-server so one cannot disturb the other's keys.
Every gunicorn runs with gunicorn_bench_conf.py, which adds per-worker request
counters (to the service's config for the service, to gunicorn's defaults for
the two baselines).
"""

from __future__ import annotations

import json
import secrets
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import redis

from tools.benchmark import gunicorn_shape
from tools.benchmark.processes import Processes, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICE_DIR = REPO_ROOT / "services" / "kv"
CONFIG_NAME = "gunicorn.conf.py"  # the service's gunicorn config, in its folder
BENCH_CONFIG = Path(__file__).with_name("gunicorn_bench_conf.py")
SERVICE_KEY_PREFIX = "kv:"
SLOTS, SLOT = 64, struct.Struct("<QQ")  # must match gunicorn_bench_conf.py
# The upstream Dockerfile's command: `gunicorn -w 4 -b 0.0.0.0:5000 app:app`.
UPSTREAM_COMMAND = ("-w", "4")

SERVERS = ("service", "upstream", "floor")
LABELS = {
    "service": "kv service (gunicorn, its production config)",
    "upstream": "upstream app (gunicorn -w 4, sync workers, as its Dockerfile serves it)",
    "floor": "the least a Flask view on redis-py does (PING; parse and SET; SCAN+MGET stream), "
    "on the service's gunicorn shape",
}


@dataclass
class Server:
    name: str
    port: int
    pid: int
    redis_url: str
    redis_pid: int
    counters: Path  # gunicorn_bench_conf.py's per-worker request counters
    key_prefix: str = ""
    token: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    flags: tuple[str, ...] = ()  # gunicorn command-line flags besides -c and --bind

    def workers(self) -> list[int]:
        """gunicorn's worker processes."""
        return sorted(child.pid for child in psutil.Process(self.pid).children())

    def _slots(self) -> list[tuple[int, int]]:
        return list(SLOT.iter_unpack(self.counters.read_bytes()[: SLOTS * SLOT.size]))

    def requests_by_worker(self) -> dict[int, int]:
        """Requests each live gunicorn worker has served so far (from the counters file)."""
        counts = dict(self._slots()[1:])
        return {pid: counts.get(pid, 0) for pid in self.workers()}

    def wait_for_workers(self, timeout: float = 30) -> None:
        """Blocks until gunicorn has forked every worker its config asks for."""
        deadline = time.monotonic() + timeout
        while True:
            slots = self._slots()
            wanted = slots[0][1] if slots and slots[0][0] == self.pid else 0
            live = set(self.workers())
            if wanted and len(live & {pid for pid, _ in slots[1:]}) >= wanted:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.name}: {len(live)} of {wanted or '?'} gunicorn workers after {timeout}s"
                )
            time.sleep(0.05)

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)


def start_redis(procs: Processes, name: str, workdir: Path) -> tuple[str, int]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not on PATH: run tools/bench (it installs redis-server)"
        )
    port = free_port()
    (workdir / name).mkdir(parents=True, exist_ok=True)
    proc = procs.start(
        name,
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir / name)],
        env={"PATH": "/usr/bin:/bin"},
        port=port,
    )  # fmt: skip
    return f"redis://127.0.0.1:{port}/0", proc.pid


@dataclass(frozen=True)
class Options:
    """What a run may change about the service (for tuning and before/after runs)."""

    service_dir: Path = SERVICE_DIR  # folder holding the `kv` package and its gunicorn config
    config: Path | None = None  # the service's gunicorn config; default: service_dir's
    env: tuple[tuple[str, str], ...] = ()  # extra service environment, e.g. GUNICORN_THREADS

    @property
    def service_config(self) -> Path:
        return self.config or self.service_dir / CONFIG_NAME


def _base_env(workdir: Path, options: Options) -> dict[str, str]:
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "PYTHONPATH": f"{options.service_dir}:{REPO_ROOT}",
    }


def service_shape(workdir: Path, options: Options) -> dict[str, Any]:
    """How the service's gunicorn serves (worker class, workers, threads, keep-alive),
    read by gunicorn's own loader from the service's config with the service's
    environment (gunicorn_shape.py)."""
    done = subprocess.run(
        [sys.executable, "-m", "tools.benchmark.gunicorn_shape", str(options.service_config)],
        env={**_base_env(workdir, options), **dict(options.env)},
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"reading the gunicorn shape of {options.service_config} failed: {done.stderr.strip()}"
        )
    shape: dict[str, Any] = json.loads(done.stdout)
    return shape


def _gunicorn(
    procs: Processes,
    name: str,
    app: str,
    workdir: Path,
    options: Options,
    env: dict[str, str],
    flags: Iterable[str] = (),
) -> Server:
    """gunicorn with the bench's counters, on its own Redis; `flags` as on a command line."""
    redis_url, redis_pid = start_redis(procs, f"{name}-redis", workdir)
    port = free_port()
    counters = workdir / f"{name}.counters"
    counters.write_bytes(bytes(SLOTS * SLOT.size))
    full_env = {
        **_base_env(workdir, options),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "REDIS_URL": redis_url,
        "KV_BENCH_COUNTERS": str(counters),
        **env,
    }
    proc = procs.start(
        name,
        [sys.executable, "-m", "gunicorn", "-c", str(BENCH_CONFIG), *flags,
         "--bind", f"127.0.0.1:{port}", app],
        env=full_env,
        port=port,
        cwd=workdir,
    )  # fmt: skip
    server = Server(name, port, proc.pid, redis_url, redis_pid, counters, env=full_env,
                    flags=tuple(flags))  # fmt: skip
    server.wait_for_workers()
    return server


def start_service(procs: Processes, workdir: Path, options: Options) -> Server:
    token = secrets.token_urlsafe(24)
    tokens = workdir / "write-tokens"
    tokens.write_text(token + "\n")
    env = {
        "KV_BENCH_BASE_CONFIG": str(options.service_config),
        "KV_REDIS_MODE": "standalone",
        "KV_KEY_PREFIX": SERVICE_KEY_PREFIX,
        "KV_AUTH_TOKENS_FILE": str(tokens),
        "KV_AUTH_READS": "open",
        "KV_LOG_LEVEL": "INFO",
        # Its own liveness port: the default (8081) is one per machine.
        "KV_HEALTH_PORT": str(free_port()),
        **dict(options.env),
    }
    server = _gunicorn(procs, "service", "kv.wsgi:app", workdir, options, env)
    server.key_prefix, server.token = SERVICE_KEY_PREFIX, token
    return server


def start_upstream(procs: Processes, workdir: Path, options: Options) -> Server:
    return _gunicorn(procs, "upstream", "tools.benchmark.apps.upstream:app", workdir, options, {},
                     UPSTREAM_COMMAND)  # fmt: skip


def start_floor(procs: Processes, workdir: Path, options: Options) -> Server:
    flags = gunicorn_shape.command_line(service_shape(workdir, options))
    return _gunicorn(procs, "floor", "tools.benchmark.apps.floor:app", workdir, options, {}, flags)


STARTERS = {"service": start_service, "upstream": start_upstream, "floor": start_floor}


def start(
    procs: Processes, names: Iterable[str], workdir: Path, options: Options
) -> dict[str, Server]:
    started: dict[str, Server] = {}
    for name in names:
        if name not in STARTERS:
            raise ValueError(f"unknown server {name!r}; choose from {', '.join(SERVERS)}")
        started[name] = STARTERS[name](procs, workdir, options)
    return started
