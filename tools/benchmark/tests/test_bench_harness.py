"""tools/bench end to end in its tiny plan: all three servers start the way
they are meant to run, wrk drives them, the report and charts are written, and
nothing is left running, also when the run is interrupted (Ctrl-C, SIGTERM).

No timing is asserted here: this machine is shared, so speed belongs in the
report (tools/bench), not in a pass/fail test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest

from tools.benchmark import gunicorn_shape, profile
from tools.benchmark.servers import Options, service_shape
from tools.testkit.tooling import REPO_ROOT, require_tool

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _bench(out: Path) -> list[str]:
    require_tool("wrk")
    require_tool("redis-server")
    return [sys.executable, "-m", "tools.benchmark", "--plan", "tiny", "--out", str(out)]


_ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        _bench(out),
        cwd=REPO_ROOT,
        env=_ENV,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out, json.loads((out / "results.json").read_text()), done.stdout


def test_every_server_answered_the_load_without_errors(
    tiny_run: tuple[Path, dict[str, Any], str],
) -> None:
    _, results, _ = tiny_run
    by_server = {r["server"]: r for r in results["load"]}
    assert set(by_server) == {"service", "upstream", "floor"}
    for run in by_server.values():
        assert run["endpoint"] == "GET /"
        assert run["requests"] > 0
        assert run["non_2xx"] == 0
        assert run["socket_errors"] == 0


def test_per_worker_counters_account_for_every_gunicorn_request(
    tiny_run: tuple[Path, dict[str, Any], str],
) -> None:
    _, results, _ = tiny_run
    for run in results["load"]:
        assert len(run["worker_requests"]) == results["workers"][run["server"]] >= 1
        # wrk counts completed responses; the server may finish a few more.
        assert sum(run["worker_requests"].values()) >= run["requests"]


def test_upstream_runs_as_its_dockerfile_says_four_sync_workers(
    tiny_run: tuple[Path, dict[str, Any], str],
) -> None:
    _, results, _ = tiny_run
    assert results["workers"]["upstream"] == 4  # live worker processes, from /proc
    memory = {m["server"]: m for m in results["memory"]}
    # A sync worker serves on its main thread alone; gthread workers run a pool.
    assert set(memory["upstream"]["threads"].values()) == {1}
    assert min(memory["service"]["threads"].values()) > 1


def test_floor_runs_on_the_shape_gunicorn_reads_from_the_service_config(
    tiny_run: tuple[Path, dict[str, Any], str], tmp_path: Path
) -> None:
    _, results, _ = tiny_run
    expected = gunicorn_shape.command_line(service_shape(tmp_path, Options()))
    assert results["flags"]["floor"] == expected
    assert results["workers"]["floor"] == results["workers"]["service"]


def test_list_returns_exactly_the_seeded_keys(tiny_run: tuple[Path, dict[str, Any], str]) -> None:
    _, results, _ = tiny_run
    lists = {r["server"]: r for r in results["lists"]}
    assert set(lists) == {"service", "upstream", "floor"}
    for run in lists.values():
        assert run["keys"] == run["keys_returned"] == 100
        assert run["timings_ms"]


def test_report_and_charts_are_written(tiny_run: tuple[Path, dict[str, Any], str]) -> None:
    out, _, stdout = tiny_run
    report = (out / "report.md").read_text()
    for heading in (
        "## The service against its baselines",
        "## Targets",
        "## Throughput and latency",
        "## Load spread",
        "## GET /list",
        "## Memory",
    ):
        assert heading in report
    for name in ("throughput", "latency-p50", "latency-p99", "list"):
        assert (out / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
        assert f"({name}.png)" in report
    assert "GET / c=4 req/s: kv/floor" in report
    assert "GET / c=4 req/s: kv/upstream" in stdout


def test_no_process_outlives_the_run(tiny_run: tuple[Path, dict[str, Any], str]) -> None:
    _, results, _ = tiny_run
    pids = [pid for group in results["pids"].values() for pid in group]
    assert pids
    assert [pid for pid in pids if psutil.pid_exists(pid) and _alive(psutil.Process(pid))] == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_stops_every_process_and_frees_every_port(
    signum: signal.Signals, tmp_path: Path
) -> None:
    # TMPDIR: the work folder (with the logs a failed run keeps) goes in tmp_path.
    bench = subprocess.Popen(
        _bench(tmp_path / "out"), cwd=REPO_ROOT, env={**_ENV, "TMPDIR": str(tmp_path)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert bench.stderr is not None
        for line in bench.stderr:
            if line.startswith("run 1/"):  # every server is up and being measured
                break
        else:
            pytest.fail(f"the bench ended ({bench.wait()}) before its first load run")
        started = psutil.Process(bench.pid).children(recursive=True)
        ports = {port for process in started for port in _listening(process)}
        bench.send_signal(signum)
        said = bench.stderr.read()
        assert bench.wait(120) == 128 + signum, said[-3000:]
    finally:
        if bench.poll() is None:
            bench.kill()
    # Three gunicorn masters with their workers, and three redis-servers.
    assert len(started) >= 9
    assert [process for process in started if _alive(process)] == []
    assert len(ports) >= 6
    assert [port for port in ports if _answers(port)] == []
    # Each process logged to logs/<name>.log; gunicorn was stopped gracefully (SIGTERM).
    logs = next(tmp_path.glob("kv-bench-*/logs"))
    names = {"service", "upstream", "floor"}
    assert {p.name for p in logs.iterdir()} >= {
        f"{n}{s}.log" for n in names for s in ("", "-redis")
    }
    for name in names:
        assert "Handling signal: term" in (logs / f"{name}.log").read_text()


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _listening(process: psutil.Process) -> list[int]:
    try:
        connections = process.net_connections(kind="tcp")
    except psutil.NoSuchProcess:  # a wrk run that just ended
        return []
    return [c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN]


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_profile_summary_skips_samples_torn_by_non_blocking_reads(tmp_path: Path) -> None:
    # py-spy --nonblocking can read a frame name while it changes; a torn one
    # once held a line break, leaving a line that ends in a word, not a count.
    raw = tmp_path / "profile.txt"
    raw.write_text(
        "process 1:main;handle (gunicorn/workers/gthread.py:10);write (kv/api.py:70) 3\n"
        "handle (gunicorn/workers/gthread.py:10);wr\n"
        "ite (kv/api.py:70) application/json\n"
        "handle (gunicorn/workers/gthread.py:10);\x00\x7f 2\n"
    )
    total, inclusive, own = profile.summarize([raw])
    assert total == 3
    assert own == {"write (kv/api.py)": 3}
    assert inclusive == {"handle (gunicorn/workers/gthread.py)": 3, "write (kv/api.py)": 3}
