"""Every Bazel file is buildifier-formatted and lint-clean (buildifier runs here; Bazel does not)."""

from __future__ import annotations

import subprocess

from tools.bazel.tree import repo_files
from tools.testkit.tooling import REPO_ROOT, require_tool, tool_versions

BAZEL_FILE_NAMES = {"BUILD", "BUILD.bazel", "MODULE.bazel", "WORKSPACE", "WORKSPACE.bazel"}


def bazel_files() -> list[str]:
    return [
        p.relative_to(REPO_ROOT).as_posix()
        for p in repo_files()
        if p.name in BAZEL_FILE_NAMES or p.suffix == ".bzl"
    ]


def test_repository_has_the_bazel_files_the_design_names() -> None:
    files = set(bazel_files())
    for required in ("MODULE.bazel", "WORKSPACE", "BUILD.bazel", "services/kv/BUILD.bazel"):
        assert required in files


def test_buildifier_is_the_pinned_version() -> None:
    result = subprocess.run(
        [require_tool("buildifier"), "--version"], capture_output=True, text=True, check=True
    )
    assert tool_versions()["npm:@bazel/buildifier"] in result.stdout


def test_buildifier_reports_no_format_or_lint_findings() -> None:
    # The same as `buildifier -mode=check -lint=warn -r .`, minus .venv and
    # other tool state that repo_files skips.
    result = subprocess.run(
        [require_tool("buildifier"), "-mode=check", "-lint=warn", *bazel_files()],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (
        "buildifier findings (fix with `buildifier -lint=fix <file>`):\n"
        + result.stdout
        + result.stderr
    )
