"""Driving wrk: one bounded run against one endpoint, parsed into numbers."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("lua") / "load.lua"
RESULT_MARK = "BENCH_RESULT "


@dataclass(frozen=True)
class Endpoint:
    """One measured call: how wrk builds its requests."""

    name: str  # as the report shows it, e.g. "POST /write"
    mode: str  # get | write | delete (see lua/load.lua)
    path: str = "/"


GET_ROOT = Endpoint("GET /", "get", "/")
POST_WRITE = Endpoint("POST /write", "write", "/write")
DELETE = Endpoint("DELETE /delete", "delete", "/delete")
GET_LIST = Endpoint("GET /list", "get", "/list")  # profiled; the bench times it without wrk
ENDPOINTS = {e.name: e for e in (GET_ROOT, POST_WRITE, DELETE)}


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    non_2xx: int
    socket_errors: int  # connect, read, write errors and timeouts
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    cpu_s: float  # CPU wrk itself used: the load generator shares the cores

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is not on PATH: run tools/bench (it installs wrk)")
    return path


def parse(stdout: str, cpu_s: float) -> WrkResult:
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_MARK)]
    if not lines:
        raise RuntimeError(f"wrk printed no result line:\n{stdout}")
    data = json.loads(lines[-1][len(RESULT_MARK) :])
    errors, latency = data["errors"], data["latency_us"]
    return WrkResult(
        requests=data["requests"],
        duration_s=data["duration_us"] / 1e6,
        non_2xx=errors["status"],
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        cpu_s=cpu_s,
    )


def run(
    port: int,
    endpoint: Endpoint,
    connections: int,
    duration_s: float,
    *,
    token: str | None = None,
    key_prefix: str = "bench-",
    key_offset: int = 0,
    keyspace: int = 10_000,
    value_bytes: int = 64,
) -> WrkResult:
    """One wrk run; returns when wrk exits (bounded by duration_s plus its timeout)."""
    threads = min(2, connections)
    env = {
        **os.environ,
        "BENCH_MODE": endpoint.mode,
        "BENCH_PATH": endpoint.path,
        "BENCH_KEYSPACE": str(keyspace),
        "BENCH_KEY_PREFIX": key_prefix,
        "BENCH_KEY_OFFSET": str(key_offset),
        "BENCH_VALUE_BYTES": str(value_bytes),
        "BENCH_TOKEN": token or "",
        "BENCH_THREADS": str(threads),
    }
    args = [
        wrk_binary(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        "--timeout", "5s",
        "-s", str(SCRIPT),
        f"http://127.0.0.1:{port}{endpoint.path}",
    ]  # fmt: skip
    # wrk is the only child reaped during the run, so the children's rusage
    # delta is wrk's CPU time.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=duration_s + 30, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return parse(done.stdout, cpu)
