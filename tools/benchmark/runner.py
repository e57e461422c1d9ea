"""One bench run: start the servers, measure them in interleaved rounds, stop everything.

Rounds are interleaved (run 1 of every server and endpoint, then run 2, ...)
so that a slow patch on a shared machine hurts all servers alike and the
ratios between them stay fair; medians over the rounds absorb the rest.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from tools.benchmark import measure, wrk
from tools.benchmark.processes import Processes
from tools.benchmark.servers import SERVERS, Options, Server, start


@dataclass(frozen=True)
class Plan:
    """How much to measure. FULL is what tools/bench runs; TINY proves the harness in seconds."""

    name: str
    servers: tuple[str, ...]
    endpoints: tuple[str, ...]
    connections: tuple[int, ...]
    runs: int
    duration_s: int
    warmup_s: int
    list_keys: tuple[int, ...]
    list_budget_s: float
    # Endpoints only some servers have: the floor has no DELETE.
    skip: tuple[tuple[str, str], ...] = (("floor", "DELETE /delete"),)


FULL = Plan(
    name="full",
    servers=SERVERS,
    endpoints=("GET /", "POST /write", "DELETE /delete"),
    connections=(32, 128),
    runs=3,
    duration_s=5,
    warmup_s=1,
    list_keys=(100, 1_000, 10_000, 20_000, 100_000),
    list_budget_s=2.0,
)
TINY = Plan(
    name="tiny",
    servers=SERVERS,
    endpoints=("GET /",),
    connections=(4,),
    runs=1,
    duration_s=1,
    warmup_s=0,
    list_keys=(100,),
    list_budget_s=0.3,
)
PLANS = {p.name: p for p in (FULL, TINY)}


@dataclass
class Results:
    plan: dict[str, Any]
    environment: dict[str, Any]
    started: float
    seconds: float = 0.0
    workers: dict[str, int] = field(default_factory=dict)  # server -> worker count
    pids: dict[str, list[int]] = field(default_factory=dict)  # every pid the run started
    flags: dict[str, list[str]] = field(default_factory=dict)  # server -> gunicorn flags
    memory: list[measure.Memory] = field(default_factory=list)
    load: list[measure.LoadRun] = field(default_factory=list)
    lists: list[measure.ListRun] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "environment": self.environment,
            "started": self.started,
            "seconds": round(self.seconds, 1),
            "workers": self.workers,
            "pids": self.pids,
            "flags": self.flags,
            "memory": [measure.as_dict(m) for m in self.memory],
            "load": [measure.as_dict(r) for r in self.load],
            "lists": [measure.as_dict(r) for r in self.lists],
        }


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
        return (out.stdout or out.stderr).splitlines()[0].strip()
    except (OSError, IndexError):
        return "unknown"


def environment(options: Options) -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "cpu": cpu,
        "cores": len(__import__("os").sched_getaffinity(0)),
        "load_average_at_start": Path("/proc/loadavg").read_text().split()[:3],
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": {
            p: metadata.version(p) for p in ("flask", "gunicorn", "werkzeug", "redis", "hiredis")
        },
        "redis_server": _version(["redis-server", "--version"]),
        "wrk": _version(["wrk", "-v"]),
        "gunicorn_config": str(options.service_config),
        "service_dir": str(options.service_dir),
        "extra_env": dict(options.env),
    }


def run(
    plan: Plan,
    workdir: Path,
    options: Options,
    log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr, flush=True),
) -> Results:
    results = Results(
        plan={k: v for k, v in plan.__dict__.items()},
        environment=environment(options),
        started=time.time(),
    )
    t0 = time.monotonic()
    endpoints = [wrk.ENDPOINTS[name] for name in plan.endpoints]
    with Processes(workdir / "logs").running() as procs:
        log(f"starting {', '.join(plan.servers)} (logs in {workdir / 'logs'})")
        servers = start(procs, plan.servers, workdir, options)
        results.pids = {name: [s.pid, *s.workers(), s.redis_pid] for name, s in servers.items()}
        results.workers = {name: len(s.workers()) for name, s in servers.items()}
        results.flags = {name: list(s.flags) for name, s in servers.items()}
        for server in servers.values():
            measure.smoke(server, [e for e in endpoints if _measured(plan, server, e)])
            results.memory.append(measure.Memory(server.name, idle_rss_kib=_idle_rss(server)))

        for run_index in range(plan.runs):
            for endpoint in endpoints:
                for connections in plan.connections:
                    for server in servers.values():
                        if not _measured(plan, server, endpoint):
                            continue
                        if run_index == 0 and plan.warmup_s:
                            measure.warm_up(server, endpoint, connections, plan.warmup_s)
                        r = measure.load(
                            server, endpoint, connections, plan.duration_s, run_index + 1
                        )
                        results.load.append(r)
                        log(f"run {run_index + 1}/{plan.runs} {server.name:8} {endpoint.name:15} "
                            f"c={connections:<3} {r.rps:8.0f} rps  p99 {r.p99_ms:6.1f} ms  "
                            f"non-2xx {r.non_2xx}")  # fmt: skip

        for m in results.memory:
            m.loaded_rss_kib.update(measure.memory(servers[m.server]))
            m.threads.update(measure.threads(servers[m.server]))

        for keys in plan.list_keys:
            for lr in measure.list_runs(servers.values(), keys, plan.list_budget_s):
                results.lists.append(lr)
                log(f"list    {lr.server:8} {keys:>7} keys  median {lr.median_ms:9.1f} ms over "
                    f"{len(lr.timings_ms)}  peak +{lr.peak_growth_kib / 1024:.1f} MiB")  # fmt: skip
    results.seconds = time.monotonic() - t0
    return results


def _measured(plan: Plan, server: Server, endpoint: wrk.Endpoint) -> bool:
    return (server.name, endpoint.name) not in plan.skip


def _idle_rss(server: Server) -> dict[str, int]:
    """RSS per worker once every route has run a few times (imports done), then idle."""
    for _ in range(20 * max(1, len(server.workers()))):
        measure.request(server, "GET", "/")
    time.sleep(0.5)
    return measure.memory(server)
