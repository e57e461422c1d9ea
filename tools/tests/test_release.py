"""tools/release --local: the whole delivery flow rehearsed with local stand-ins."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

from tools.delivery import oci_layout
from tools.delivery.image_values import parse
from tools.testkit.tooling import REPO_ROOT, require_tool

VALUES = "deploy/environments/prod/image.yaml"


def test_release_rehearsal_runs_every_step_and_promotes_the_built_digest(tmp_path: Path) -> None:
    require_tool("buildkite-agent")
    require_tool("git")
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
    assert "steps that would run for it: none" in result.stdout
    assert "steps that would run for the revert: none" in result.stdout
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


def test_local_image_layout_is_reproducible_and_self_consistent(tmp_path: Path) -> None:
    service = REPO_ROOT / "services" / "kv"
    first = oci_layout.build(service, tmp_path / "one")
    second = oci_layout.build(service, tmp_path / "two")

    assert first == second
    layout = tmp_path / "one"
    index = json.loads((layout / "index.json").read_text())
    assert index["manifests"][0]["digest"] == first
    manifest_bytes = (layout / "blobs" / "sha256" / first.removeprefix("sha256:")).read_bytes()
    manifest = json.loads(manifest_bytes)
    for descriptor in (manifest["config"], *manifest["layers"]):
        blob = layout / "blobs" / "sha256" / descriptor["digest"].removeprefix("sha256:")
        data = blob.read_bytes()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == descriptor["digest"]
        assert len(data) == descriptor["size"]
    config = json.loads(
        (
            layout / "blobs" / "sha256" / manifest["config"]["digest"].removeprefix("sha256:")
        ).read_bytes()
    )
    assert config["config"]["User"] == "65532:65532"


def test_local_image_digest_follows_the_source(tmp_path: Path) -> None:
    service = tmp_path / "service"
    (service / "kv").mkdir(parents=True)
    (service / "kv" / "__init__.py").write_text("")
    (service / "gunicorn.conf.py").write_text("bind = '0.0.0.0:8080'\n")
    before = oci_layout.build(service, tmp_path / "a")

    (service / "kv" / "__init__.py").write_text("VERSION = 2\n")

    assert oci_layout.build(service, tmp_path / "b") != before
