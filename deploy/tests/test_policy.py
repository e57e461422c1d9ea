"""A real policy tool, checkov, over what the chart renders (prod, and the
defaults with a digest) and every Argo CD and platform object: zero
unsuppressed findings, and every suppression is an annotation on the object
with its reason."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploy.tests.manifests import TEST_DIGEST, Manifest, Render, load_all
from tools.testkit.tooling import require_tool

SKIP_ANNOTATION = re.compile(r"checkov\.io/skip\d+")
SKIP_VALUE = re.compile(r"(?P<check>CKV2?_K8S_\d+)=(?P<reason>.+)")


@pytest.fixture(scope="module")
def policy_inputs(
    tmp_path_factory: pytest.TempPathFactory,
    prod_yaml: str,
    render: Render,
    gitops_files: list[Path],
) -> list[Path]:
    out = tmp_path_factory.mktemp("policy")
    defaults = render(sets={"image.digest": TEST_DIGEST})
    assert defaults.returncode == 0, defaults.stderr
    (out / "prod.yaml").write_text(prod_yaml)
    (out / "defaults.yaml").write_text(defaults.stdout)
    return [out / "prod.yaml", out / "defaults.yaml", *gitops_files]


@pytest.fixture(scope="module")
def checkov_report(policy_inputs: list[Path]) -> dict[str, Any]:
    binary = require_tool("checkov")
    files = [arg for path in policy_inputs for arg in ("--file", str(path))]
    # --skip-download: offline, and no platform call home for guidelines.
    result = subprocess.run(
        [binary, "--framework", "kubernetes", "--output", "json", "--skip-download", *files],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert result.stdout.startswith(("{", "[")), result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert isinstance(report, dict), "expected one kubernetes report"
    return report


def _objects(policy_inputs: list[Path]) -> list[Manifest]:
    return [doc for path in policy_inputs for doc in load_all(path.read_text())]


def test_checkov_finds_nothing_unsuppressed(
    checkov_report: dict[str, Any], policy_inputs: list[Path]
) -> None:
    failed = [
        f"{f['check_id']} {f['check_name']}: {f['resource']} ({f['file_path']})"
        for f in checkov_report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    summary = checkov_report["summary"]
    assert summary["parsing_errors"] == 0
    # Every object was scanned (checkov also counts each pod template), and
    # the scan really checked things.
    assert summary["resource_count"] >= len(_objects(policy_inputs))
    assert summary["passed"] > 100


def test_every_suppression_is_an_annotation_with_a_reason_and_is_used(
    checkov_report: dict[str, Any], policy_inputs: list[Path]
) -> None:
    declared = set()
    for obj in _objects(policy_inputs):
        annotations = obj["metadata"].get("annotations") or {}
        for key, value in annotations.items():
            if SKIP_ANNOTATION.fullmatch(key):
                match = SKIP_VALUE.fullmatch(value)
                assert match, f"{obj['kind']}/{obj['metadata']['name']}: {key} needs CHECK=reason"
                assert len(match["reason"].split()) >= 5, f"reason too thin: {value!r}"
                declared.add(
                    (
                        match["check"],
                        f"{obj['kind']}.{obj['metadata'].get('namespace', 'default')}.{obj['metadata']['name']}",
                    )
                )
    skipped = {(s["check_id"], s["resource"]) for s in checkov_report["results"]["skipped_checks"]}
    assert skipped == declared
    assert declared, "expected the documented CPU-limit exception"
