"""Measurements of one server: load runs with wrk, /list timing and memory,
idle RSS, and the per-worker view (CPU seconds, requests served)."""

from __future__ import annotations

import http.client
import json
import statistics
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil

from tools.benchmark import wrk
from tools.benchmark.processes import peak_rss_kib, reset_peak
from tools.benchmark.servers import Server

LIST_VALUE = b"v" * 64
WRITE_KEYSPACE = 10_000


@dataclass(frozen=True)
class LoadRun:
    """One wrk run of one endpoint against one server."""

    server: str
    endpoint: str
    connections: int
    run: int
    rps: float
    requests: int
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_s: float  # master + workers
    redis_cpu_s: float
    redis_commands: int  # commands Redis processed during the run
    wrk_cpu_s: float
    worker_requests: dict[str, int] = field(default_factory=dict)  # pid -> requests this run
    worker_cpu_s: dict[str, float] = field(default_factory=dict)  # pid -> CPU seconds this run


@dataclass(frozen=True)
class ListRun:
    """GET /list by a single client at one key count."""

    server: str
    keys: int
    timings_ms: list[float]
    body_bytes: int
    keys_returned: int
    rss_before_kib: int
    peak_growth_kib: int  # max over workers of peak RSS during the requests minus RSS before

    @property
    def median_ms(self) -> float:
        return statistics.median(self.timings_ms)


@dataclass(frozen=True)
class Memory:
    """RSS per worker, idle after warm-up and again after the load runs."""

    server: str
    idle_rss_kib: dict[str, int]
    loaded_rss_kib: dict[str, int] = field(default_factory=dict)
    threads: dict[str, int] = field(default_factory=dict)


def _cpu(pids: Iterable[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        out[pid] = times.user + times.system
    return out


def request(
    server: Server, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def smoke(server: Server, endpoints: Iterable[wrk.Endpoint]) -> None:
    """Fails fast, with the server's answer, when a request the bench relies on is refused."""
    for endpoint in endpoints:
        if endpoint.mode == "write":
            status, body = request(
                server, "POST", "/write", {"key": "smoke", "value": "1"}, server.token
            )
            # 2xx: --service-dir may hold a service from before the upstream contract (201).
            ok = 200 <= status < 300
        elif endpoint.mode == "delete":
            seed(server, "smoke-del-", 1)
            status, body = request(server, "DELETE", "/delete?key=smoke-del-0", token=server.token)
            ok = status == 200
        else:
            status, body = request(server, "GET", endpoint.path)
            ok = status == 200
        if not ok:
            raise RuntimeError(f"{server.name}: {endpoint.name} answered {status}: {body[:300]!r}")


def seed(
    server: Server, name_prefix: str, count: int, start: int = 0, value: bytes = LIST_VALUE
) -> None:
    """Writes count keys straight into the server's Redis, in large MSET batches."""
    client = server.redis()
    prefix = server.key_prefix + name_prefix
    for lo in range(start, start + count, 10_000):
        hi = min(lo + 10_000, start + count)
        client.mset({f"{prefix}{i}": value for i in range(lo, hi)})
    client.close()


def flush(server: Server) -> None:
    client = server.redis()
    client.flushdb()
    client.close()


def quiesce(server: Server, timeout: float = 3.0) -> None:
    """Waits until the server has finished the requests wrk left in flight.

    wrk stops at its deadline with up to one request per connection still
    queued in the server; without this wait those leftovers of one run would
    land in the next (a leftover DELETE after re-seeding is a 404 there).
    """
    pids = [server.pid, *server.workers()]
    deadline = time.monotonic() + timeout
    before = sum(_cpu(pids).values())
    while time.monotonic() < deadline:
        time.sleep(0.1)
        after = sum(_cpu(pids).values())
        if after - before < 0.005:  # under 5 % of a core: idle
            return
        before = after


def load(
    server: Server, endpoint: wrk.Endpoint, connections: int, duration_s: float, run: int
) -> LoadRun:
    """One wrk run, with the CPU time of every process involved and requests per worker."""
    key_prefix = "bench-"
    quiesce(server)
    if endpoint.mode == "delete":
        # Enough distinct keys that every request of the run deletes an existing one.
        key_prefix = "del-"
        seed(server, key_prefix, int(30_000 * max(1.0, duration_s)))
    pids = [server.pid, *server.workers()]
    redis_pids = [server.redis_pid]
    cpu0, redis0, served0 = _cpu(pids), _cpu(redis_pids), server.requests_by_worker()
    commands0 = _commands(server)
    result = wrk.run(
        server.port,
        endpoint,
        connections,
        duration_s,
        token=server.token,
        key_prefix=key_prefix,
        keyspace=WRITE_KEYSPACE,
    )
    served1 = _settled_counts(server)
    cpu1, redis1 = _cpu(pids), _cpu(redis_pids)
    commands1 = _commands(server)
    cpu_delta = {pid: cpu1[pid] - cpu0[pid] for pid in cpu1 if pid in cpu0}
    return LoadRun(
        server=server.name,
        endpoint=endpoint.name,
        connections=connections,
        run=run,
        rps=result.rps,
        requests=result.requests,
        non_2xx=result.non_2xx,
        socket_errors=result.socket_errors,
        p50_ms=result.p50_ms,
        p90_ms=result.p90_ms,
        p99_ms=result.p99_ms,
        max_ms=result.max_ms,
        server_cpu_s=sum(cpu_delta.values()),
        redis_cpu_s=sum(redis1[p] - redis0[p] for p in redis1 if p in redis0),
        # Minus the INFO call that read the counter after the run.
        redis_commands=max(0, commands1 - commands0 - 1),
        wrk_cpu_s=result.cpu_s,
        worker_requests={str(p): n - served0.get(p, 0) for p, n in served1.items()},
        worker_cpu_s={str(p): round(cpu_delta.get(p, 0.0), 3) for p in server.workers()},
    )


def _settled_counts(server: Server) -> dict[int, int]:
    """Per-worker counts once the last responses' post_request hooks have run."""
    counts = server.requests_by_worker()
    for _ in range(25):
        time.sleep(0.02)
        again = server.requests_by_worker()
        if again == counts:
            break
        counts = again
    return counts


def _commands(server: Server) -> int:
    client = server.redis()
    try:
        return int(client.info("stats")["total_commands_processed"])
    finally:
        client.close()


def warm_up(server: Server, endpoint: wrk.Endpoint, connections: int, duration_s: float) -> None:
    quiesce(server)
    if endpoint.mode == "delete":
        seed(server, "del-", int(30_000 * max(1.0, duration_s)))
    wrk.run(server.port, endpoint, connections, duration_s, token=server.token, key_prefix="del-"
            if endpoint.mode == "delete" else "bench-")  # fmt: skip


def memory(server: Server) -> dict[str, int]:
    return {str(pid): _rss_kib(pid) for pid in server.workers()}


def threads(server: Server) -> dict[str, int]:
    return {str(pid): psutil.Process(pid).num_threads() for pid in server.workers()}


def _rss_kib(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss // 1024)


class _Lister:
    """GET /list against one server by a single client, one request at a time."""

    def __init__(self, server: Server, keys: int) -> None:
        self.server, self.keys = server, keys
        flush(server)
        seed(server, "list-", keys)
        self.workers = server.workers()
        for pid in self.workers:
            reset_peak(pid)
        self.before = {pid: _rss_kib(pid) for pid in self.workers}
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        self.timings: list[float] = []
        self.body = b""

    def request(self) -> float:
        t0 = time.perf_counter()
        self.conn.request("GET", "/list")
        resp = self.conn.getresponse()
        self.body = resp.read()
        self.timings.append((time.perf_counter() - t0) * 1000)
        if resp.status != 200:
            raise RuntimeError(
                f"{self.server.name}: GET /list answered {resp.status}: {self.body[:300]!r}"
            )
        return self.timings[-1]

    def result(self) -> ListRun:
        peak = max(peak_rss_kib(pid) - self.before[pid] for pid in self.workers)
        timings = self.timings[1:] if len(self.timings) > 1 else self.timings
        return ListRun(
            server=self.server.name,
            keys=self.keys,
            timings_ms=[round(t, 3) for t in timings],
            body_bytes=len(self.body),
            keys_returned=len(json.loads(self.body)),
            rss_before_kib=max(self.before.values()),
            peak_growth_kib=max(0, peak),
        )


def list_runs(
    servers: Iterable[Server], keys: int, budget_s: float, max_requests: int = 50
) -> list[ListRun]:
    """Times GET /list by one client (time to the last byte) on every server after
    seeding exactly `keys` keys into each, in rounds: one request per server per
    round, so a busy patch of a shared machine slows all of them alike.

    A server's first request is a warm-up unless it alone used most of the
    budget. It is done once it has used the budget (with at least two
    requests) or made max_requests. Peak memory is the workers' VmHWM over
    all its requests, reset just before.
    """
    listers = [_Lister(server, keys) for server in servers]
    active, spent = list(listers), {id(lister): 0.0 for lister in listers}
    try:
        while active:
            for lister in list(active):
                spent[id(lister)] += lister.request() / 1000
                n = len(lister.timings)
                if (
                    n >= max_requests
                    or (spent[id(lister)] >= budget_s and n >= 2)
                    or lister.timings[0] > budget_s * 1000 / 2
                ):
                    active.remove(lister)
    finally:
        for lister in listers:
            lister.conn.close()
    return [lister.result() for lister in listers]


def as_dict(obj: Any) -> dict[str, Any]:
    return asdict(obj)
