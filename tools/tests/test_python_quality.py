"""Every Python file in the repository is ruff-clean, ruff-formatted and mypy-strict clean."""

from __future__ import annotations

import subprocess
import sys

from tools.testkit.tooling import REPO_ROOT

PYTHON_ROOTS = ["."]  # everything git would see; .venv and caches are excluded in pyproject.toml


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_lint_is_clean() -> None:
    result = run("ruff", "check", "--no-cache", *PYTHON_ROOTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_applied() -> None:
    result = run("ruff", "format", "--check", "--no-cache", *PYTHON_ROOTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = run("mypy", "--no-incremental", *PYTHON_ROOTS)
    assert result.returncode == 0, result.stdout + result.stderr
