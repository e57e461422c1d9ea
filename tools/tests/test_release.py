"""tools/release --local: the whole delivery flow rehearsed on this machine,
through the local cluster and the real Argo CD."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools.delivery.image_values import parse
from tools.delivery.local_argocd import listens
from tools.delivery.promote import DEFAULT_VALUES_FILE
from tools.testkit.tooling import REPO_ROOT, require_tool

# A cluster start, the bootstrap and three syncs on a busy machine.
pytestmark = pytest.mark.timeout(1500)

TOOLS = (
    "buildkite-agent", "git", "crane", "kubectl", "etcd", "kube-apiserver",
    "kube-controller-manager", "kube-scheduler", "kwok", "argocd", "redis-server", "helm",
    "kustomize",
)  # fmt: skip


def steps(stdout: str) -> dict[str, str]:
    """Each step's output by its title's first word."""
    parts = re.split(r"^==> \[\d+/\d+\] (\w+):.*$", stdout, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def runs(output: str) -> list[str]:
    """The digests the kv Deployment was seen running, in order."""
    return re.findall(r"deployment/kv runs \S+@(sha256:[0-9a-f]{64})$", output, re.M)


def test_release_rehearsal_rolls_the_cluster_to_the_built_digest_and_back(tmp_path: Path) -> None:
    for tool in TOOLS:
        require_tool(tool)
    workdir = tmp_path / "release"

    # tools/release is this module behind the installer that tools/test already ran.
    result = subprocess.run(
        [sys.executable, "-m", "tools.delivery.release", "--local", "--skip-tests",
         "--workdir", str(workdir)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=1400,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    output = steps(result.stdout)
    assert list(output) == [
        "pipeline",
        "test",
        "image",
        "render",
        "cluster",
        "promote",
        "sync",
        "rerun",
        "guard",
        "rollback",
    ]
    built = (workdir / "image.digest").read_text().strip()
    assert f"digest {built}" in output["image"]
    assert "nothing to do" in output["rerun"]
    assert "the promote commit builds no image and promotes nothing" in output["guard"]
    assert "held: " in output["rollback"]  # the build after the rollback did not undo it

    # The GitOps remote Argo CD synced from saw the promotion of exactly the
    # built digest, then its revert.
    remote = workdir / "gitops.git"

    def pinned(revision: str) -> str | None:
        shown = subprocess.run(["git", "show", f"{revision}:{DEFAULT_VALUES_FILE}"], cwd=remote,
                               capture_output=True, text=True, check=True).stdout  # fmt: skip
        return parse(shown).digest

    assert pinned("main^") == built
    previous = pinned("main~2")
    assert previous is not None
    assert previous != built
    assert pinned("main") == previous

    # What the live Deployment ran: the previous release, the built digest after
    # the sync, the previous one again after the rollback.
    assert runs(output["cluster"]) == [previous]
    assert runs(output["sync"]) == [built]
    assert runs(output["rollback"]) == [previous]

    # Everything it started is stopped: tools/cluster down deleted its state, no port is open.
    assert not (workdir / "cluster").exists()
    ports = re.search(r"API server https://127\.0\.0\.1:(\d+); Argo CD \S+ on ports ([\d ]+);",
                      output["cluster"])  # fmt: skip
    assert ports is not None, output["cluster"]
    opened = [int(ports[1]), *map(int, ports[2].split())]
    assert len(opened) == 4
    assert [port for port in opened if listens(port)] == []
