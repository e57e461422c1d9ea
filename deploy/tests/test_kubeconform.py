"""kubeconform, strict and offline, accepts every Argo CD and platform object
against Kubernetes 1.34 and the CRDs (Argo CD, Gateway API, GKE policies).
The chart's renders are checked by the API server itself
(test_cluster_admission.py); these objects are not applied there."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import yaml

from deploy.tests.manifests import Manifest

Kubeconform = Callable[[list[Path]], subprocess.CompletedProcess[str]]


def _assert_all_valid(result: subprocess.CompletedProcess[str], expected: int) -> None:
    report = json.loads(result.stdout)
    problems = [r for r in report["resources"] if r["status"] != "statusValid"]
    assert not problems, json.dumps(problems, indent=1)
    assert result.returncode == 0, result.stdout + result.stderr
    # Every object was validated against a schema: none skipped or missing.
    assert report["summary"]["valid"] == expected, report["summary"]


def test_argocd_and_platform_objects_are_valid(
    kubeconform: Kubeconform, gitops_files: list[Path], gitops_manifests: list[Manifest]
) -> None:
    kinds = {m["kind"] for m in gitops_manifests}
    assert {"Application", "AppProject", "Gateway", "HTTPRoute", "GCPGatewayPolicy"} <= kinds
    _assert_all_valid(kubeconform(gitops_files), len(gitops_manifests))


def test_kubeconform_rejects_an_unknown_field_and_a_wrong_type(
    kubeconform: Kubeconform, gitops_manifests: list[Manifest], tmp_path: Path
) -> None:
    # The negative control: proves the schemas are really applied, strictly.
    application = next(m for m in gitops_manifests if m["kind"] == "Application")
    breakages: list[Callable[[Manifest], object]] = [
        lambda spec: spec.update(destinations=spec.pop("destination")),  # a typo
        lambda spec: spec.update(project=1),  # a wrong type
        lambda spec: spec.update(unknownField=1),
    ]
    broken = tmp_path / "broken.yaml"
    for breaking in breakages:
        copy = json.loads(json.dumps(application))
        breaking(copy["spec"])
        broken.write_text(yaml.safe_dump(copy))
        result = kubeconform([broken])
        assert result.returncode != 0, f"kubeconform accepted {copy['spec']}"
