"""Bazel's entry point for pytest_test targets: runs pytest on the given files.

Under Bazel the working directory is the main repository's runfiles root, so
the repo-relative paths that pytest_test passes, pyproject.toml and the
`tools.testkit` imports resolve exactly as they do under `tools/test`. This
runner only translates Bazel's test protocol into pytest options.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

TOOL_FLAG = "--kv-tool="
HOST_TOOL_FLAG = "--kv-host-tool="


def put_tools_on_path(tools: list[str], bin_dir: Path) -> None:
    """Links each NAME=PATH tool into bin_dir as NAME (PATH's file name when
    NAME is empty) and puts bin_dir first on PATH."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in tools:
        name, _, path = tool.partition("=")
        target = Path(path).absolute()
        if not target.is_file():
            raise SystemExit(f"pytest_main: tool {path} is not in the runfiles")
        link = bin_dir / (name or target.name)
        if not link.exists():
            link.symlink_to(target)
    os.environ["PATH"] = os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])


def missing_host_tools(names: list[str]) -> list[str]:
    """Host tools (pytest_test's host_tools) that are not on PATH."""
    return [name for name in names if shutil.which(name) is None]


def bazel_options(env: dict[str, str]) -> list[str]:
    """pytest options for Bazel's test environment (all optional outside Bazel)."""
    options = ["-c", "pyproject.toml", "-p", "no:cacheprovider"]
    if xml := env.get("XML_OUTPUT_FILE"):
        options.append(f"--junitxml={xml}")
    if only := env.get("TESTBRIDGE_TEST_ONLY"):  # bazel test --test_filter=...
        options += ["-k", only]
    return options


class Shard:
    """Keeps every `total`-th collected test, starting at `index`."""

    def __init__(self, index: int, total: int) -> None:
        self.index = index
        self.total = total

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        keep = items[self.index :: self.total]
        kept = {id(item) for item in keep}
        dropped = [item for item in items if id(item) not in kept]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def main(argv: list[str]) -> int:
    tools = [arg.removeprefix(TOOL_FLAG) for arg in argv if arg.startswith(TOOL_FLAG)]
    host_tools = [
        arg.removeprefix(HOST_TOOL_FLAG) for arg in argv if arg.startswith(HOST_TOOL_FLAG)
    ]
    pytest_args = [arg for arg in argv if not arg.startswith((TOOL_FLAG, HOST_TOOL_FLAG))]
    if missing := missing_host_tools(host_tools):
        raise SystemExit(
            f"pytest_main: {', '.join(missing)} not on PATH ({os.environ.get('PATH', '')}): "
            "the machine running this test must provide them (pytest_test host_tools)"
        )
    scratch = Path(os.environ.get("TEST_TMPDIR") or tempfile.gettempdir())
    if tools:
        put_tools_on_path(tools, scratch / "kv-tools-bin")
    # Runfiles are read-only: keep Hypothesis' example database in scratch space.
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(scratch / ".hypothesis"))
    plugins: list[object] = []
    total = int(os.environ.get("TEST_TOTAL_SHARDS", "1"))
    if total > 1:  # py_test(shard_count = N): each shard runs every Nth test
        Path(os.environ["TEST_SHARD_STATUS_FILE"]).touch()
        plugins.append(Shard(int(os.environ["TEST_SHARD_INDEX"]), total))
    code = int(pytest.main([*bazel_options(dict(os.environ)), *pytest_args], plugins=plugins))
    if total > 1 and code == pytest.ExitCode.NO_TESTS_COLLECTED:
        return 0  # more shards than tests: this shard simply got none
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
