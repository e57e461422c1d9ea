"""The issue's targets, evaluated on one run's results, and the service's ratios
against the two baselines measured in the same run."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tools.benchmark.servers import SERVERS

POINT_ENDPOINTS = ("GET /", "POST /write")
# Every production feature together costs at most 5 % against the floor.
MIN_VS_FLOOR = 0.95
LIST_RATIO_KEYS = 20_000
MAX_P99_MS = 40.0
P99_CONNECTIONS = 128
LIST_LIMITS_MS = {10_000: 20.0, 100_000: 250.0}
LIST_MEMORY_KEYS = 100_000
MAX_LIST_GROWTH_MIB = 10.0
MAX_IDLE_RSS_MIB = 45.0


@dataclass(frozen=True)
class Target:
    name: str
    measured: float
    limit: float
    unit: str
    at_least: bool  # True: measured must be >= limit; False: <= limit

    @property
    def passed(self) -> bool:
        return self.measured >= self.limit if self.at_least else self.measured <= self.limit

    @property
    def ratio(self) -> float:
        """measured / limit: >= 1 passes an at-least target, <= 1 an at-most one."""
        return self.measured / self.limit if self.limit else float("inf")


def median(
    load: Iterable[dict[str, Any]], server: str, endpoint: str, connections: int, key: str
) -> float | None:
    values = [
        r[key]
        for r in load
        if r["server"] == server and r["endpoint"] == endpoint and r["connections"] == connections
    ]
    return statistics.median(values) if values else None


def cpu_us_per_request(
    load: Iterable[dict[str, Any]], server: str, endpoint: str, connections: int
) -> float | None:
    """Median over runs of the server's CPU (master and workers) per request, in µs:
    steadier than req/s on a shared machine, and what the capacity plan scales."""
    values = [
        1e6 * r["server_cpu_s"] / r["requests"]
        for r in load
        if (r["server"], r["endpoint"], r["connections"]) == (server, endpoint, connections)
        and r["requests"]
    ]
    return statistics.median(values) if values else None


@dataclass(frozen=True)
class Ratio:
    """One column of the comparison: the service's number and both baselines'."""

    column: str  # e.g. "GET / c=32 req/s"
    service: float
    upstream: float | None
    floor: float | None
    higher_is_better: bool  # req/s: True; latencies: False

    def speed(self, baseline: float | None) -> float | None:
        """kv / baseline as a speed: above 1 the service is better. For a latency
        that is baseline ms / kv ms, so every column reads the same way."""
        if not baseline or not self.service:
            return None
        return self.service / baseline if self.higher_is_better else baseline / self.service

    @property
    def vs_upstream(self) -> float | None:
        return self.speed(self.upstream)

    @property
    def vs_floor(self) -> float | None:
        return self.speed(self.floor)


def ratios(results: dict[str, Any]) -> list[Ratio]:
    """kv/upstream and kv/floor: GET / and POST /write req/s, p50, p99 and server
    CPU per request at every connection count, and GET /list at LIST_RATIO_KEYS keys."""
    load, out = results["load"], []
    for endpoint in POINT_ENDPOINTS:
        for c in sorted({r["connections"] for r in load}):
            for key, label, higher in (("rps", "req/s", True), ("p50_ms", "p50", False),
                                       ("p99_ms", "p99", False)):  # fmt: skip
                service = median(load, "service", endpoint, c, key)
                if service is not None:
                    out.append(Ratio(f"{endpoint} c={c} {label}", service,
                                     median(load, "upstream", endpoint, c, key),
                                     median(load, "floor", endpoint, c, key), higher))  # fmt: skip
            cpu = {name: cpu_us_per_request(load, name, endpoint, c) for name in SERVERS}
            if cpu["service"] is not None:
                out.append(Ratio(f"{endpoint} c={c} CPU µs/req", cpu["service"], cpu["upstream"],
                                 cpu["floor"], higher_is_better=False))  # fmt: skip
    lists = {
        lr["server"]: statistics.median(lr["timings_ms"])
        for lr in results["lists"]
        if lr["keys"] == LIST_RATIO_KEYS
    }
    if "service" in lists:
        out.append(Ratio(f"GET /list {LIST_RATIO_KEYS:,} keys", lists["service"],
                         lists.get("upstream"), lists.get("floor"), higher_is_better=False))  # fmt: skip
    return out


def evaluate(results: dict[str, Any]) -> list[Target]:
    load, lists, targets = results["load"], results["lists"], []
    for ratio in ratios(results):
        if ratio.vs_floor is not None:
            targets.append(Target(f"{ratio.column}: kv/floor", ratio.vs_floor, MIN_VS_FLOOR, "x",
                                  at_least=True))  # fmt: skip
    for endpoint in POINT_ENDPOINTS:
        p99 = median(load, "service", endpoint, P99_CONNECTIONS, "p99_ms")
        if p99 is not None:
            targets.append(Target(f"{endpoint} c={P99_CONNECTIONS}: service p99", p99, MAX_P99_MS, "ms",
                                  at_least=False))  # fmt: skip
        runs = [r for r in load if r["server"] == "service" and r["endpoint"] == endpoint]
        if runs:
            bad = sum(r["non_2xx"] + r["socket_errors"] for r in runs)
            targets.append(Target(f"{endpoint}: service non-2xx and socket errors", bad, 0, "",
                                  at_least=False))  # fmt: skip
    for keys, limit in LIST_LIMITS_MS.items():
        for lr in lists:
            if lr["server"] == "service" and lr["keys"] == keys:
                targets.append(Target(f"GET /list {keys:,} keys: median, one client",
                                      statistics.median(lr["timings_ms"]), limit, "ms", at_least=False))  # fmt: skip
                if keys == LIST_MEMORY_KEYS:
                    targets.append(Target(f"GET /list {keys:,} keys: worker peak memory growth",
                                          lr["peak_growth_kib"] / 1024, MAX_LIST_GROWTH_MIB, "MiB",
                                          at_least=False))  # fmt: skip
    for m in results["memory"]:
        if m["server"] == "service":
            targets.append(Target("idle RSS per worker (largest)", max(m["idle_rss_kib"].values()) / 1024,
                                  MAX_IDLE_RSS_MIB, "MiB", at_least=False))  # fmt: skip
    return targets


@dataclass(frozen=True)
class Spread:
    """How evenly one gunicorn server's workers shared the load over all its runs."""

    server: str
    workers: int
    runs: int
    idle_worker_runs: int  # runs in which some worker served nothing
    min_share: float  # smallest share any worker had in any run (fair share = 1 / workers)

    @property
    def passed(self) -> bool:
        return self.idle_worker_runs == 0


def spread(results: dict[str, Any]) -> list[Spread]:
    out = []
    for server, workers in results["workers"].items():
        runs = [r for r in results["load"] if r["server"] == server and r["worker_requests"]]
        idle, min_share = 0, 1.0
        for r in runs:
            counts = list(r["worker_requests"].values())
            total = sum(counts)
            if len(counts) < workers or min(counts) == 0:
                idle += 1
            if total:
                min_share = min(min_share, min(counts) / total)
        out.append(Spread(server, workers, len(runs), idle, min_share))
    return out
