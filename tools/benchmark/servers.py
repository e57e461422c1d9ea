"""The three servers of a bench run, started the way each is meant to run.

- service: the kv service under gunicorn with services/kv/gunicorn.conf.py
  and every production feature on (auth tokens file set, JSON logs, metrics).
- hello: a bare Flask app under the same gunicorn config, no Redis (ceiling).
- naive: the starter on the Flask development server (baseline).

Each server that uses Redis gets its own redis-server so one cannot disturb
the other's keys. gunicorn servers run with gunicorn_bench_conf.py, which is
the production config plus per-worker request counters.
"""

from __future__ import annotations

import secrets
import shutil
import struct
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tools.benchmark.processes import Supervisor, children, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICE_DIR = REPO_ROOT / "services" / "kv"
PRODUCTION_CONFIG = SERVICE_DIR / "gunicorn.conf.py"
BENCH_CONFIG = Path(__file__).with_name("gunicorn_bench_conf.py")
NAIVE_APP = Path(__file__).with_name("apps") / "naive.py"
SERVICE_KEY_PREFIX = "kv:"
SLOTS, SLOT = 64, struct.Struct("<QQ")  # must match gunicorn_bench_conf.py

SERVERS = ("service", "naive", "hello")
LABELS = {
    "service": "kv service (gunicorn, production config)",
    "naive": "naive starter (Flask dev server)",
    "hello": "hello-world Flask (gunicorn, production config, no Redis)",
}


@dataclass
class Server:
    name: str
    port: int
    pid: int
    gunicorn: bool
    redis_url: str | None = None
    redis_pid: int | None = None
    key_prefix: str = ""
    token: str | None = None
    counters: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    def workers(self) -> list[int]:
        """Processes that serve requests: gunicorn's workers, or the dev server itself."""
        return children(self.pid) if self.gunicorn else [self.pid]

    def _slots(self) -> list[tuple[int, int]]:
        if self.counters is None:
            return []
        return list(SLOT.iter_unpack(self.counters.read_bytes()[: SLOTS * SLOT.size]))

    def requests_by_worker(self) -> dict[int, int]:
        """Requests each live gunicorn worker has served so far (from the counters file)."""
        if self.counters is None:
            return {}
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
        if self.redis_url is None:
            raise RuntimeError(f"{self.name} has no Redis")
        return redis.Redis.from_url(self.redis_url)


def start_redis(sup: Supervisor, name: str, workdir: Path) -> tuple[str, int]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not on PATH: run tools/bench (it installs redis-server)"
        )
    port = free_port()
    (workdir / name).mkdir(parents=True, exist_ok=True)
    proc = sup.start(
        name,
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir / name)],
        env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    sup.wait_for_port(proc, port)
    return f"redis://127.0.0.1:{port}/0", proc.pid


@dataclass(frozen=True)
class Options:
    """What a run may change about the gunicorn servers (for tuning and before/after runs)."""

    base_config: Path = PRODUCTION_CONFIG
    service_dir: Path = SERVICE_DIR  # folder holding the `kv` package
    env: tuple[tuple[str, str], ...] = ()  # extra environment, e.g. GUNICORN_THREADS


def _gunicorn(
    sup: Supervisor, name: str, app: str, workdir: Path, options: Options, env: dict[str, str]
) -> Server:
    port = free_port()
    counters = workdir / f"{name}.counters"
    counters.write_bytes(bytes(SLOTS * SLOT.size))
    full_env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "PYTHONPATH": f"{options.service_dir}:{REPO_ROOT}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "KV_BENCH_BASE_CONFIG": str(options.base_config),
        "KV_BENCH_COUNTERS": str(counters),
        **env,
        **dict(options.env),
    }
    proc = sup.start(
        name,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(BENCH_CONFIG),
            "--bind",
            f"127.0.0.1:{port}",
            app,
        ],
        env=full_env,
        cwd=workdir,
    )
    sup.wait_for_port(proc, port)
    server = Server(name, port, proc.pid, gunicorn=True, counters=counters, env=full_env)
    server.wait_for_workers()
    return server


def start_service(sup: Supervisor, workdir: Path, options: Options) -> Server:
    redis_url, redis_pid = start_redis(sup, "service-redis", workdir)
    token = secrets.token_urlsafe(24)
    tokens = workdir / "write-tokens"
    tokens.write_text(token + "\n")
    server = _gunicorn(
        sup,
        "service",
        "kv.wsgi:app",
        workdir,
        options,
        {
            "REDIS_URL": redis_url,
            "KV_REDIS_MODE": "standalone",
            "KV_KEY_PREFIX": SERVICE_KEY_PREFIX,
            "KV_AUTH_TOKENS_FILE": str(tokens),
            "KV_AUTH_READS": "open",
            "KV_LOG_LEVEL": "INFO",
        },
    )
    server.redis_url, server.redis_pid = redis_url, redis_pid
    server.key_prefix, server.token = SERVICE_KEY_PREFIX, token
    return server


def start_hello(sup: Supervisor, workdir: Path, options: Options) -> Server:
    return _gunicorn(sup, "hello", "tools.benchmark.apps.hello:app", workdir, options, {})


def start_naive(sup: Supervisor, workdir: Path) -> Server:
    redis_url, redis_pid = start_redis(sup, "naive-redis", workdir)
    port = free_port()
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "PORT": str(port),
        "REDIS_URL": redis_url,
    }
    proc = sup.start("naive", [sys.executable, str(NAIVE_APP)], env=env, cwd=workdir)
    sup.wait_for_port(proc, port)
    return Server(
        "naive", port, proc.pid, gunicorn=False, redis_url=redis_url, redis_pid=redis_pid, env=env
    )


def start(
    sup: Supervisor, names: Iterable[str], workdir: Path, options: Options
) -> dict[str, Server]:
    started: dict[str, Server] = {}
    for name in names:
        if name == "service":
            started[name] = start_service(sup, workdir, options)
        elif name == "hello":
            started[name] = start_hello(sup, workdir, options)
        elif name == "naive":
            started[name] = start_naive(sup, workdir)
        else:
            raise ValueError(f"unknown server {name!r}; choose from {', '.join(SERVERS)}")
    return started
