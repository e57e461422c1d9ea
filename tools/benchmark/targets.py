"""The issue's targets, evaluated on one run's results, with their ratios."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

POINT_ENDPOINTS = ("GET /", "POST /write")
MIN_VS_NAIVE = 5.0
MIN_VS_HELLO = 0.85
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


def evaluate(results: dict[str, Any]) -> list[Target]:
    load, lists, targets = results["load"], results["lists"], []
    connections = sorted({r["connections"] for r in load})
    for endpoint in POINT_ENDPOINTS:
        for c in connections:
            service = median(load, "service", endpoint, c, "rps")
            if service is None:
                continue
            naive = median(load, "naive", endpoint, c, "rps")
            hello = median(load, "hello", endpoint, c, "rps")
            if naive:
                targets.append(Target(f"{endpoint} c={c}: service / naive rps", service / naive,
                                      MIN_VS_NAIVE, "x", at_least=True))  # fmt: skip
            if hello:
                targets.append(Target(f"{endpoint} c={c}: service / hello rps", service / hello,
                                      MIN_VS_HELLO, "x", at_least=True))  # fmt: skip
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
