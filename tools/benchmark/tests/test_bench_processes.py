"""How the bench starts a process: a server that exits before it listens
fails the run at once (on its exit status, not a timeout), naming its log
file, and every process sees only the environment the bench gives it, not
the caller's."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tools.benchmark.processes import TIMEOUT_S, Processes, free_port


def test_a_server_that_exits_before_it_listens_fails_at_once_naming_its_log(
    tmp_path: Path,
) -> None:
    procs = Processes(tmp_path / "logs")
    with (
        procs.running(),
        pytest.raises(RuntimeError, match="exited with a non-zero code: 3") as failed,
    ):
        procs.start(
            "broken",
            [sys.executable, "-c", "print('no such config'); raise SystemExit(3)"],
            env={},
            port=free_port(),
        )
    log = tmp_path / "logs" / "broken.log"
    assert str(log) in str(failed.value)
    assert "no such config" in log.read_text()


def test_a_process_sees_only_the_environment_the_bench_gives_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gunicorn reads both: they would change the shape of the servers measured.
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--workers 1")
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    procs = Processes(tmp_path / "logs")
    with procs.running():
        process = procs.start(
            "env", [sys.executable, "-c", "import os; print(sorted(os.environ))"],
            env={"KV_BENCH_PROBE": "1"},
        )  # fmt: skip
        assert process.wait(TIMEOUT_S) == 0
    names = set(ast.literal_eval((tmp_path / "logs" / "env.log").read_text()))
    assert "KV_BENCH_PROBE" in names
    assert not names & {"GUNICORN_CMD_ARGS", "WEB_CONCURRENCY", "PATH", "HOME"}
