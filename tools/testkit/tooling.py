"""Finding the external tools and data that tests drive for real."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tools.toolchain.pins import pins

REPO_ROOT = Path(__file__).resolve().parents[2]

INSTALL_HINT = "run tools/test, which installs it (see tools/toolchain/)"


def require_tool(name: str, hint: str = INSTALL_HINT) -> str:
    """Path of an executable on PATH; the test fails (never skips) without it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not on PATH: {hint}", pytrace=False)
    return path


def schemas_dir() -> Path:
    """Offline schema data: $KV_SCHEMAS_DIR, else ../shared/reference/schemas."""
    configured = os.environ.get("KV_SCHEMAS_DIR")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "reference" / "schemas"
    if not (path / "kubernetes-json-schema").is_dir():
        pytest.fail(
            f"schema data not found at {path}: set KV_SCHEMAS_DIR to the reference schemas folder",
            pytrace=False,
        )
    return path


def tool_versions() -> dict[str, str]:
    """The versions mise.toml pins, keyed as mise reads them (`helm`, `aqua:buildkite/agent`)."""
    return pins(REPO_ROOT / "mise.toml")
