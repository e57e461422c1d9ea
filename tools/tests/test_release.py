"""tools/release --local: the whole delivery flow rehearsed on this machine."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tools.delivery.image_values import parse
from tools.testkit.tooling import REPO_ROOT, require_tool

VALUES = "deploy/environments/prod/image.yaml"


def test_release_rehearsal_runs_every_step_and_promotes_the_built_digest(tmp_path: Path) -> None:
    require_tool("buildkite-agent")
    require_tool("git")
    require_tool("crane")
    workdir = tmp_path / "release"

    # tools/release is this module behind the installer that tools/test already ran.
    result = subprocess.run(
        [sys.executable, "-m", "tools.delivery.release", "--local", "--skip-tests",
         "--workdir", str(workdir)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    titles = re.findall(r"^==> \[\d/8\] (\w+):", result.stdout, re.M)
    assert titles == [
        "pipeline",
        "test",
        "image",
        "render",
        "promote",
        "rerun",
        "guard",
        "rollback",
    ]
    built = (workdir / "image.digest").read_text().strip()
    assert f"digest {built}" in result.stdout
    assert "nothing to do" in result.stdout
    assert "the promote commit builds no image and promotes nothing" in result.stdout
    assert "held: " in result.stdout  # the build after the rollback did not undo it
    # The GitOps remote saw the promotion of exactly the built digest, then its revert.
    remote = workdir / "gitops.git"
    promoted = subprocess.run(
        ["git", "show", f"main^:{VALUES}"], cwd=remote, capture_output=True, text=True, check=True
    ).stdout
    assert parse(promoted).digest == built
    seed = subprocess.run(
        ["git", "show", f"main~2:{VALUES}"], cwd=remote, capture_output=True, text=True, check=True
    ).stdout
    restored = subprocess.run(
        ["git", "show", f"main:{VALUES}"], cwd=remote, capture_output=True, text=True, check=True
    ).stdout
    assert restored == seed
