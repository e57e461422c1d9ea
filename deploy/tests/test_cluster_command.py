"""tools/cluster itself: `up` twice keeps the running cluster, `kubeconfig`
names its state, `down` stops every process `up` started; a wrong argument
or a state folder `up` did not make changes nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from deploy.tests.kube import CLUSTER_TOOLS
from tools.delivery.local_argocd import CLUSTER
from tools.testkit.tooling import require_tool


def cluster(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLUSTER), *args], env={**os.environ, "KV_CLUSTER_DIR": str(state)},
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip


def pids(state: Path) -> dict[str, int]:
    return {p.stem: int(p.read_text()) for p in (state / "run").glob("*.pid")}


def test_up_is_idempotent_and_down_stops_everything_it_started(tmp_path: Path) -> None:
    for tool in CLUSTER_TOOLS:
        require_tool(tool)
    state = tmp_path / "cluster"
    try:
        assert cluster(state, "up").returncode == 0
        started = pids(state)
        assert set(started) == set(CLUSTER_TOOLS)
        again = cluster(state, "up")
        assert again.returncode == 0, again.stderr
        assert "already up" in again.stderr
        assert pids(state) == started
        path = cluster(state, "kubeconfig").stdout.strip()
        assert Path(path).parent == state
    finally:
        down = cluster(state, "down")
    assert down.returncode == 0, down.stderr
    assert not [name for name, pid in started.items() if Path(f"/proc/{pid}").exists()]
    assert not state.exists()
    assert cluster(state, "kubeconfig").returncode != 0


def test_a_wrong_argument_prints_the_usage_and_starts_nothing(tmp_path: Path) -> None:
    state = tmp_path / "cluster"
    result = cluster(state, "start")
    assert result.returncode == 2
    assert "tools/cluster up" in result.stderr
    assert not state.exists()


def test_a_state_folder_that_up_did_not_make_is_left_untouched(tmp_path: Path) -> None:
    foreign = tmp_path / "somebody-elses"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    for command in ("down", "up"):
        result = cluster(foreign, command)
        assert result.returncode != 0, command
        assert "not a tools/cluster state folder" in result.stderr, result.stderr
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
