"""The chart lints strictly for its defaults and for prod, and its values
stay where they belong. What it renders is proved by the helm-unittest
suites (deploy/charts/kv/tests/) and, applied to a real API server, by the
test_cluster_* tests."""

from __future__ import annotations

import json
import re
import subprocess

import yaml

from deploy.tests.manifests import CHART, PROD, PROD_VALUE_FILES, TEST_DIGEST


def test_chart_passes_helm_lint_strict_with_defaults_and_prod_values(helm: str) -> None:
    for extra in (
        [],
        [
            *(arg for path in PROD_VALUE_FILES for arg in ("--values", str(path))),
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


def test_values_schema_uses_only_local_refs() -> None:
    # A remote $ref would make every render depend on fetching it.
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
