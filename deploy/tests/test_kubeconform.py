"""kubeconform, strict and offline, accepts everything the chart renders and
every Argo CD and platform object, against Kubernetes 1.34 and the CRDs
(Argo CD, Gateway API, GKE policies, managed Prometheus, SecretProviderClass)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from deploy.tests.manifests import Manifest

Kubeconform = Callable[[list[Path]], subprocess.CompletedProcess[str]]


def _assert_all_valid(result: subprocess.CompletedProcess[str], expected: int) -> None:
    report = json.loads(result.stdout)
    problems = [r for r in report["resources"] if r["status"] != "statusValid"]
    assert not problems, json.dumps(problems, indent=1)
    assert result.returncode == 0, result.stdout + result.stderr
    # Every object was validated against a schema: none skipped or missing.
    assert report["summary"]["valid"] == expected, report["summary"]


def test_default_render_is_valid_kubernetes_1_34(
    kubeconform: Kubeconform, rendered_dir: Path, default_manifests: list[Manifest]
) -> None:
    _assert_all_valid(kubeconform([rendered_dir / "defaults.yaml"]), len(default_manifests))


def test_prod_render_is_valid_kubernetes_1_34(
    kubeconform: Kubeconform, rendered_dir: Path, prod_manifests: list[Manifest]
) -> None:
    _assert_all_valid(kubeconform([rendered_dir / "prod.yaml"]), len(prod_manifests))


def test_argocd_and_platform_objects_are_valid(
    kubeconform: Kubeconform, gitops_files: list[Path], gitops_manifests: list[Manifest]
) -> None:
    kinds = {m["kind"] for m in gitops_manifests}
    assert {"Application", "AppProject", "Gateway", "HTTPRoute", "GCPGatewayPolicy"} <= kinds
    _assert_all_valid(kubeconform(gitops_files), len(gitops_manifests))


def test_kubeconform_rejects_an_unknown_field_and_a_wrong_type(
    kubeconform: Kubeconform, rendered_dir: Path, prod_yaml: str
) -> None:
    # The negative control: proves the schemas are really applied, strictly.
    broken = rendered_dir / "broken.yaml"
    for good, bad in (
        ("      enableServiceLinks: false", "      enableServiceLink: false"),
        ("    drainingTimeoutSec: 30", '    drainingTimeoutSec: "30"'),
        ("  provider: gke", "  provider: gke\n  unknownField: 1"),
    ):
        assert good in prod_yaml
        broken.write_text(prod_yaml.replace(good, bad, 1))
        result = kubeconform([broken])
        assert result.returncode != 0, f"kubeconform accepted {bad!r}"
