"""Bazel's loading phase without Bazel: tools/bazel/starlark-check over a tree.

The Go check evaluates MODULE.bazel and every BUILD file with the pinned
rulesets' own Starlark (the reference archives, unpacked once into
$KV_CACHE keyed by their hashes) and reports what Bazel would reject. This
module runs it and gives its report to the tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tools.testkit.tooling import REPO_ROOT, require_tool

# container-structure-test has no v1.22.1 tag; the registry's 1.22.1 differs
# from v1.22.0 only in its version line (reference/bazel/SOURCES.md).
SOURCE_ALIASES = ("container_structure_test@1.22.1=1.22.0",)


def reference_dir() -> Path:
    """The rulesets' archives: $KV_REFERENCE_DIR/bazel, else ../shared/reference/bazel."""
    configured = os.environ.get("KV_REFERENCE_DIR")
    base = Path(configured) if configured else REPO_ROOT.parent / "shared" / "reference"
    return base / "bazel"


def cache_dir() -> Path:
    configured = os.environ.get("KV_CACHE")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "kv-platform"


def verified_archives(reference: Path) -> dict[Path, str]:
    """Each archive listed in SHA256SUMS, checked against its hash."""
    sums = reference / "SHA256SUMS"
    if not sums.is_file():
        raise FileNotFoundError(
            f"{sums} not found: set KV_REFERENCE_DIR to the folder holding bazel/SHA256SUMS"
        )
    archives = {}
    for line in sums.read_text().split("\n"):
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        path = reference / name
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != digest:
            raise ValueError(f"{path}: sha256 {actual}, SHA256SUMS says {digest}")
        archives[path] = digest
    return archives


@cache
def unpacked_reference() -> Path:
    """The archives unpacked side by side, once per set of archive hashes."""
    archives = verified_archives(reference_dir())
    key = hashlib.sha256("".join(sorted(archives.values())).encode()).hexdigest()[:16]
    target = cache_dir() / "bazel-rulesets" / key
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{key}-"))
    try:
        for archive in archives:
            with tarfile.open(archive) as tar:
                tar.extractall(scratch, filter="data")
        scratch.rename(target)  # atomic: a parallel run sees all or nothing
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


@dataclass(frozen=True)
class Report:
    problems: list[dict[str, Any]]
    targets: dict[str, dict[str, Any]]
    # Generated file label -> the target that writes it.
    outputs: dict[str, str]
    module: dict[str, Any]

    def messages(self) -> list[str]:
        return [f"{p['file']}:{p['line']}: {p['message']}" for p in self.problems]


def evaluate(root: Path = REPO_ROOT, resolve: tuple[str, ...] = ()) -> Report:
    """Runs the loading check over the tree at `root`; `resolve` adds labels
    (as written in the main repository) that must name a target."""
    tool = require_tool("bazel-starlark-check")
    reference = unpacked_reference()
    command = [
        tool,
        "-root",
        str(root),
        "-rulesets",
        str(reference),
        "-bcr",
        str(reference / "bcr"),
        "-bazel-version",
        (REPO_ROOT / ".bazelversion").read_text().strip(),
    ]
    for alias in SOURCE_ALIASES:
        command += ["-alias", alias]
    for label in resolve:
        command += ["-resolve", label]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bazel-starlark-check failed ({done.returncode}):\n{done.stderr}")
    data = json.loads(done.stdout)
    return Report(
        problems=data["problems"],
        targets={t["label"]: t for t in data["targets"]},
        outputs=data["outputs"],
        module=data["module"],
    )
