"""The prod root and the chart Argo CD deploys agree on the Service the
Gateway's backend service is named after (GKE names it
gkegw1-<hash>-<namespace>-<service>-<port>-<hash>, after the Service port),
so the SLO and its alerts watch a backend that exists. The chart is rendered
with helm as Argo CD renders prod; the root's values come from
terraform.tfvars, which envs/prod passes to the observability module."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import yaml

from infra.tests.toolchain import INFRA
from tools.testkit.tooling import REPO_ROOT, require_tool

CHART = REPO_ROOT / "deploy" / "charts" / "kv"
PROD_VALUES = REPO_ROOT / "deploy" / "environments" / "prod"
# Rendering needs a digest of the right shape before the first promote.
DIGEST = "sha256:" + "0" * 64
TFVARS = INFRA / "envs" / "prod" / "terraform.tfvars"


def tfvars() -> dict[str, str]:
    """The root's flat KEY = VALUE assignments (strings unquoted)."""
    return {
        key: value.strip('"')
        for key, value in re.findall(r'^(\w+)\s*=\s*("[^"]*"|\d+)\s*$', TFVARS.read_text(), re.M)
    }


def rendered_services(namespace: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            require_tool("helm"),
            "template",
            namespace,
            str(CHART),
            "--namespace",
            namespace,
            "--values",
            str(PROD_VALUES / "values.yaml"),
            "--values",
            str(PROD_VALUES / "image.yaml"),
            "--set",
            f"image.digest={DIGEST}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    return [d for d in docs if d.get("kind") == "Service"]


def test_backend_service_port_is_the_charts_service_port() -> None:
    values = tfvars()
    services = rendered_services(values["k8s_namespace"])
    assert [s["metadata"]["name"] for s in services] == [values["k8s_service_name"]]
    service = services[0]
    assert service["metadata"]["namespace"] == values["k8s_namespace"]
    assert [p["port"] for p in service["spec"]["ports"]] == [int(values["k8s_service_port"])], (
        "terraform.tfvars k8s_service_port must be the chart's Service port (not the container port)"
    )


def test_root_passes_the_service_to_the_observability_module() -> None:
    main = (INFRA / "envs" / "prod" / "main.tf").read_text()
    call = re.search(r'module "observability" \{\n(.*?)^\}', main, re.M | re.S)
    assert call, "envs/prod/main.tf must call the observability module"
    for name in ("k8s_service_name", "k8s_namespace", "k8s_service_port"):
        assert f"var.{name}" in call[1], f"the observability module must get var.{name}"
