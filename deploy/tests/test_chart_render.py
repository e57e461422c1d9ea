"""The chart lints strictly and renders, for its defaults and for prod, the way
Argo CD renders it (helm template with the environment's value files)."""

from __future__ import annotations

import json
import re
import subprocess

import yaml

from deploy.tests.manifests import (
    CHART,
    PROD,
    PROD_VALUE_FILES,
    TEST_DIGEST,
    Manifest,
    Render,
    container,
)

EXPECTED_KINDS = {
    "Deployment",
    "Service",
    "ServiceAccount",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "HTTPRoute",
    "HealthCheckPolicy",
    "GCPBackendPolicy",
    "PodMonitoring",
}


def test_chart_passes_helm_lint_strict_with_defaults_and_prod_values(helm: str) -> None:
    for extra in (
        [],
        [
            *(a for p in PROD_VALUE_FILES for a in ("--values", str(p))),
            "--set",
            f"image.digest={TEST_DIGEST}",
        ],
    ):
        result = subprocess.run(
            [helm, "lint", "--strict", str(CHART), *extra],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 chart(s) failed" in result.stdout


def test_prod_renders_secrets_and_pins_the_digest(prod_manifests: list[Manifest]) -> None:
    assert {m["kind"] for m in prod_manifests} == EXPECTED_KINDS | {"SecretProviderClass"}
    assert container(prod_manifests)["image"].endswith("@" + TEST_DIGEST)
    # No object anywhere carries secret material; secrets come from the CSI mount.
    assert not [m for m in prod_manifests if m["kind"] in {"Secret", "ConfigMap"}]


def test_image_values_file_has_the_format_tools_promote_writes() -> None:
    lines = (PROD / "image.yaml").read_text().splitlines()
    assert lines[0].startswith("#")
    assert "tools/promote" in lines[0]
    assert "do not edit" in lines[0]
    assert lines[1:3] == [
        "image:",
        "  repository: us-central1-docker.pkg.dev/example-kv-prod/kv/kv",
    ]
    assert re.fullmatch(r'  digest: (""|sha256:[0-9a-f]{64})', lines[3])
    assert len(lines) == 4


def test_values_schema_refuses_unknown_keys_and_uses_only_local_refs(render: Render) -> None:
    result = render(sets={"replicaCont": "3"})
    assert result.returncode != 0
    assert "replicaCont" in result.stderr
    schema = json.loads((CHART / "values.schema.json").read_text())
    refs = re.findall(r'"\$ref":\s*"([^"]*)"', json.dumps(schema))
    assert refs, "expected shared definitions"
    assert all(ref.startswith("#/") for ref in refs), refs


def test_prod_takes_its_capacity_from_the_chart_defaults() -> None:
    # One copy of the capacity plan (tools/benchmark/CAPACITY.md): the chart's
    # defaults. An environment that repeated it could drift from the plan.
    prod = yaml.safe_load((PROD / "values.yaml").read_text())
    for key in ("resources", "gunicorn", "autoscaling"):
        assert key not in prod, f"{key} belongs in the chart defaults, not prod values"
