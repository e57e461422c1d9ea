"""tools/bazel/pytest_main.py speaks Bazel's test protocol: run here with Bazel's environment.

Bazel hands a test its runfiles as the working directory and describes
sharding, filtering and the XML report through environment variables; these
tests set them exactly so and run the runner on a small pytest file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tools.testkit.tooling import REPO_ROOT

RUNNER = REPO_ROOT / "tools" / "bazel" / "pytest_main.py"

SAMPLE = """
import shutil

def test_one(): pass
def test_two(): pass
def test_three(): pass
def test_tool_on_path():
    assert shutil.which("kv-probe")
"""


def run_runner(workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "XML_", "TESTBRIDGE_"))
    }
    environment["TEST_TMPDIR"] = str(workdir / "tmp")
    # Third-party plugins (hypothesis, schemathesis) only slow these runs down.
    environment["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    environment.update(env)
    return subprocess.run(
        [sys.executable, str(RUNNER), *args],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def runfiles(tmp_path: Path) -> Path:
    """A fake runfiles tree: pytest settings, a test file, a tool."""
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "test_sample.py").write_text(SAMPLE)
    tool = tmp_path / "external" / "probe"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    (tmp_path / "tmp").mkdir()
    return tmp_path


def passed(result: subprocess.CompletedProcess[str]) -> int:
    match = re.search(r"(\d+) passed", result.stdout)
    return int(match.group(1)) if match else 0


def test_runs_the_given_files_with_tools_on_path_and_writes_the_xml_report(tmp_path: Path) -> None:
    root = runfiles(tmp_path)
    report = tmp_path / "test.xml"
    result = run_runner(
        root, "--kv-tool=kv-probe=external/probe", "pkg/test_sample.py", XML_OUTPUT_FILE=str(report)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert passed(result) == 4
    assert 'tests="4"' in report.read_text()


def test_a_missing_tool_fails_before_any_test_runs(tmp_path: Path) -> None:
    root = runfiles(tmp_path)
    result = run_runner(root, "--kv-tool=kv-probe=external/absent", "pkg/test_sample.py")
    assert result.returncode != 0
    assert "external/absent is not in the runfiles" in result.stderr


def test_a_host_tool_missing_from_path_fails_naming_it(tmp_path: Path) -> None:
    root = runfiles(tmp_path)
    result = run_runner(
        root,
        "--kv-tool=kv-probe=external/probe",
        "--kv-host-tool=sh",
        "--kv-host-tool=kv-no-such-tool",
        "pkg/test_sample.py",
    )
    assert result.returncode != 0
    assert "kv-no-such-tool not on PATH" in result.stderr
    assert "sh," not in result.stderr, "a tool that is on PATH is not reported"
    assert passed(result) == 0


def test_shards_split_the_tests_and_together_run_all(tmp_path: Path) -> None:
    root = runfiles(tmp_path)
    counts = []
    for index in range(2):
        status = tmp_path / f"shard{index}"
        result = run_runner(
            root,
            "--kv-tool=kv-probe=external/probe",
            "pkg/test_sample.py",
            TEST_TOTAL_SHARDS="2",
            TEST_SHARD_INDEX=str(index),
            TEST_SHARD_STATUS_FILE=str(status),
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert status.exists(), "Bazel requires the shard status file"
        counts.append(passed(result))
    assert counts == [2, 2]


def test_test_filter_selects_by_name(tmp_path: Path) -> None:
    root = runfiles(tmp_path)
    result = run_runner(
        root, "--kv-tool=kv-probe=external/probe", "pkg/test_sample.py", TESTBRIDGE_TEST_ONLY="two"
    )
    assert result.returncode == 0
    assert passed(result) == 1


def test_a_failing_test_fails_the_target(tmp_path: Path) -> None:
    root = runfiles(tmp_path)
    (root / "pkg" / "test_sample.py").write_text("def test_fails():\n    assert False\n")
    result = run_runner(root, "pkg/test_sample.py")
    assert result.returncode == 1
