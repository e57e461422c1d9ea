"""tools/bench end to end in its tiny plan: all three servers start the way
they are meant to run, wrk drives them, the report and charts are written, and
nothing is left running.

No timing is asserted here: this machine is shared, so speed belongs in the
report (tools/bench), not in a pass/fail test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tools.benchmark import gunicorn_shape, profile
from tools.benchmark.servers import Options, service_shape
from tools.testkit.tooling import REPO_ROOT, require_tool

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    require_tool("wrk")
    require_tool("redis-server")
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, "-m", "tools.benchmark", "--plan", "tiny", "--out", str(out)],
        cwd=REPO_ROOT,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
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
    alive = [pid for pid in pids if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
    assert alive == []


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


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
