"""Paths, constants and small readers shared by the deploy/ tests (the
fixtures that run tools are in conftest.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tools.testkit.tooling import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
CHART = DEPLOY / "charts" / "kv"
PROD = DEPLOY / "environments" / "prod"
# As the kv Application passes them: infra's names, the environment, the digest.
PROD_VALUE_FILES = (PROD / "platform.yaml", PROD / "values.yaml", PROD / "image.yaml")
# A digest of the right shape for rendering prod before the first promote.
TEST_DIGEST = "sha256:" + "0123456789abcdef" * 4
RELEASE = NAMESPACE = "kv"

Manifest = dict[str, Any]
Render = Callable[..., subprocess.CompletedProcess[str]]


def load_all(text: str) -> list[Manifest]:
    """Every non-empty YAML document in text."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def load_dir(folder: Path) -> list[Manifest]:
    """Every Kubernetes object in the folder's YAML files (kustomizations excluded)."""
    return [
        doc
        for path in sorted(folder.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in load_all(path.read_text())
    ]


def find(manifests: list[Manifest], kind: str, name: str | None = None) -> Manifest:
    """The one object of this kind (and name); the test fails if it is missing."""
    hits = [
        m
        for m in manifests
        if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)
    ]
    assert len(hits) == 1, f"expected one {kind} {name or ''}, found {len(hits)}"
    return hits[0]


def container(manifests: list[Manifest]) -> Manifest:
    """The kv container of the rendered Deployment."""
    containers = find(manifests, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["kv"]
    result: Manifest = containers[0]
    return result


def env_of(manifests: list[Manifest]) -> dict[str, str]:
    """The kv container's environment as a dict."""
    return {e["name"]: e["value"] for e in container(manifests)["env"]}
