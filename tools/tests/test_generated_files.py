"""Every generated file is what tools/generate writes from its source today
(infra/envs/prod's `platform` output through the real Terraform, the chart's
README through helm-docs and its values schema through
helm-values-schema-json, the modules' interfaces through terraform-docs,
the service's configuration table from
kv.config.Config): a stale or hand-edited copy fails here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tools.generation.generate import MARK, TEMPLATES
from tools.testkit.tooling import REPO_ROOT, require_tool


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generator's output for the current sources, in a scratch directory."""
    require_tool("terraform")
    require_tool("helm-docs")
    require_tool("helm-values-schema-json")
    require_tool("terraform-docs")
    out = tmp_path_factory.mktemp("generated")
    result = subprocess.run(
        [sys.executable, "-m", "tools.generation.generate", "--output", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


def written(out: Path) -> list[Path]:
    return sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())


def test_generated_files_are_current(generated: Path) -> None:
    files = written(generated)
    assert files, "tools/generate wrote nothing"
    stale = [
        str(path)
        for path in files
        if not (REPO_ROOT / path).is_file()
        or (REPO_ROOT / path).read_text() != (generated / path).read_text()
    ]
    assert not stale, f"stale generated files {stale}: run tools/generate and commit the result"


def test_every_file_marked_generated_is_written_by_the_generator(generated: Path) -> None:
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    claimed = {
        Path(path)
        for path in tracked
        if (REPO_ROOT / path).is_file()
        and MARK.encode() in (REPO_ROOT / path).read_bytes().split(b"\n", 1)[0]
    } - set(TEMPLATES)
    assert claimed <= set(written(generated)), (
        f"{sorted(map(str, claimed - set(written(generated))))} say they are generated, "
        "but tools/generate does not write them"
    )
