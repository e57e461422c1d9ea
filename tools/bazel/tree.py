"""The working tree as Bazel's packages see it (no tool state, no bazel-* links)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from tools.testkit.tooling import REPO_ROOT

# Tool state and Bazel's output symlinks, which no package contains.
SKIP_DIRS = {
    ".git",
    ".venv",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "node_modules",
    "__pycache__",
}


def repo_files(root: Path = REPO_ROOT) -> Iterator[Path]:
    """Every file of the working tree, as Bazel's packages see it."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.startswith("bazel-")
        )
        for name in sorted(filenames):
            yield Path(dirpath) / name
