"""Redis outages while the service (real gunicorn) is under load.

- Cluster: a primary is killed with SIGKILL. Clients may see 503s while its
  replica takes over, nothing else; 100% success returns on its own; and
  every write that was acknowledged (200, with WAIT for one replica) can be
  read back afterwards.
- Standalone: Redis stops and comes back. 503 with Retry-After while it is
  away, answers stay fast (no hung worker), recovery without a restart.

The measured numbers are printed (run with -s to see them) and the tests
assert their bounds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.kit.cluster import RedisClusterProcesses
from tests.kit.load import Load, Outcome, summarize
from tests.kit.processes import Gunicorn, RedisServer

PREFIX = "outage:"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterProcesses]:
    cluster = RedisClusterProcesses(tmp_path_factory.mktemp("failover-cluster")).start()
    yield cluster
    cluster.stop()


def serve(tmp_path: Path, **env: str) -> Gunicorn:
    settings = {
        "KV_KEY_PREFIX": PREFIX,
        "KV_LOG_LEVEL": "WARNING",
        "GUNICORN_WORKERS": "2",
        # Every call must reach Redis here, GET / included (it otherwise
        # answers from a success up to KV_STATUS_CACHE_S old).
        "KV_STATUS_CACHE_S": "0",
        **env,
    }
    return Gunicorn(settings, tmp_path / "server.log").start()


def report(name: str, lines: list[str]) -> None:
    print(f"\n[{name}]", *lines, sep="\n  ")


def wait_until(condition: object, timeout: float, what: str) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return time.monotonic()
        time.sleep(0.05)
    raise TimeoutError(what)


def test_primary_killed_under_load_loses_no_acknowledged_write(
    cluster: RedisClusterProcesses, tmp_path: Path
) -> None:
    server = serve(
        tmp_path,
        REDIS_URL=cluster.url,
        KV_REDIS_MODE="cluster",
        KV_WRITE_MIN_REPLICAS="1",
        KV_WRITE_REPLICA_TIMEOUT_MS="500",
    )
    try:
        load = Load(server.port, threads=4).start()
        time.sleep(1.5)  # steady state first
        # Not the seed node: Memorystore's discovery endpoint does not die with a shard.
        victim = next(p for p in cluster.primary_ports() if p != cluster.nodes[0].port)
        replica = cluster.replica_port_of(victim)
        killed_at = time.monotonic()
        cluster.kill(victim)
        promoted_at = wait_until(
            lambda: replica in cluster.primary_ports(), 20, "replica never promoted"
        )
        # Memorystore replaces the lost node; here it comes back empty and
        # rejoins as the new primary's replica, restoring WAIT's quorum.
        cluster.restart(victim)
        cluster.wait_until_healthy(20)
        healthy_at = time.monotonic()
        time.sleep(2.0)  # and a stretch after it, which must be all success
        outcomes = load.stop()
    finally:
        server.stop()

    summary = summarize(outcomes, killed_at)
    failures = [o for o in outcomes if not o.ok]
    acknowledged = {
        o.key: o.value for o in outcomes if o.key and o.status == 200 and o.method == "POST"
    }
    with cluster.client() as client:
        keys = list(acknowledged)
        values = client.mget_nonatomic([PREFIX + k for k in keys])
        lost = [k for k, v in zip(keys, values, strict=True) if v != acknowledged[k]]
    settled = [o for o in outcomes if o.started > healthy_at + 0.5]
    report(
        "cluster failover under load",
        [
            summary.line(),
            f"replica promoted {promoted_at - killed_at:.2f}s after SIGKILL; "
            f"cluster healthy again (replacement replica synced) after {healthy_at - killed_at:.2f}s",
            f"acknowledged writes: {len(acknowledged)}, unreadable afterwards: {len(lost)}",
        ],
    )
    assert all(o.status == 503 for o in failures), _odd(failures)
    assert failures, "killing a primary under load should show at least one 503"
    assert summary.recovered_after is not None
    assert summary.recovered_after < 15
    assert settled
    assert all(o.ok for o in settled), "100% success did not return"
    assert len(acknowledged) > 100
    assert lost == [], f"{len(lost)} acknowledged write(s) lost, e.g. {lost[:5]}"


def test_standalone_restart_under_load_gives_503_then_recovers(tmp_path: Path) -> None:
    redis_server = RedisServer(tmp_path / "redis").start()
    server = serve(tmp_path, REDIS_URL=redis_server.url)
    try:
        load = Load(server.port, threads=4).start()
        time.sleep(1.0)
        redis_server.stop()
        # Taken once stop() has returned: Redis is surely gone from here on
        # (a stop under load can take longer than the window's margin).
        stopped_at = time.monotonic()
        time.sleep(2.0)
        redis_server.start()  # same port, as after a restart
        restarted_at = time.monotonic()
        time.sleep(2.0)
        outcomes = load.stop()
    finally:
        server.stop()
        redis_server.stop()

    summary = summarize(outcomes, stopped_at)
    failures = [o for o in outcomes if not o.ok]
    during = [o for o in outcomes if stopped_at + 0.2 < o.started < restarted_at - 0.2]
    after = [o for o in outcomes if o.started > restarted_at + 1.0]
    slowest = max(o.finished - o.started for o in outcomes)
    report(
        "standalone Redis restart under load",
        [
            summary.line(),
            f"Redis away for {restarted_at - stopped_at:.2f}s; first success "
            f"{_first_success(outcomes, restarted_at):.2f}s after it returned; "
            f"slowest answer {slowest:.2f}s",
        ],
    )
    assert all(o.status == 503 and o.code == "redis_unavailable" for o in failures), _odd(failures)
    assert during
    assert all(o.status == 503 for o in during), "Redis was down: every call needs it"
    assert after
    assert all(o.ok for o in after), "no automatic recovery"
    assert slowest < 3.0, "an answer took too long: a worker hung on Redis"


def _first_success(outcomes: list[Outcome], since: float) -> float:
    return min((o.finished for o in outcomes if o.ok and o.started >= since), default=since) - since


def _odd(failures: list[Outcome]) -> str:
    odd = [o for o in failures if o.status != 503]
    return f"{len(odd)} failure(s) other than 503, e.g. {odd[:3]}"
