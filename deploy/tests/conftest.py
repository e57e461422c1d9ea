"""Fixtures for the deploy/ tests: the chart rendered for real with helm, the
GitOps objects, and the offline schemas kubeconform validates against."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.tests.kube import Kube, start_cluster
from deploy.tests.manifests import (
    CHART,
    DEPLOY,
    NAMESPACE,
    PROD_VALUE_FILES,
    RELEASE,
    TEST_DIGEST,
    Manifest,
    Render,
    load_all,
)
from tools.testkit.tooling import require_tool, schemas_dir, tool_versions


@pytest.fixture(scope="session")
def helm() -> str:
    return require_tool("helm")


@pytest.fixture(scope="session")
def render(helm: str) -> Render:
    """helm template of the chart with value files and --set pairs (not checked)."""

    def run(
        *value_files: Path, sets: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        cmd = [helm, "template", RELEASE, str(CHART), "--namespace", NAMESPACE]
        for path in value_files:
            cmd += ["--values", str(path)]
        for key, value in (sets or {}).items():
            cmd += ["--set", f"{key}={value}"]
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)

    return run


@pytest.fixture(scope="session")
def default_yaml(render: Render) -> str:
    """The chart rendered with its defaults alone."""
    result = render()
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="session")
def prod_yaml(render: Render) -> str:
    """The chart rendered as Argo CD renders prod, with a test digest."""
    result = render(*PROD_VALUE_FILES, sets={"image.digest": TEST_DIGEST})
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="session")
def default_manifests(default_yaml: str) -> list[Manifest]:
    return load_all(default_yaml)


@pytest.fixture(scope="session")
def prod_manifests(prod_yaml: str) -> list[Manifest]:
    return load_all(prod_yaml)


@pytest.fixture(scope="session")
def gitops_files() -> list[Path]:
    """Every Kubernetes manifest file under deploy/ outside the chart."""
    folders = [DEPLOY / "argocd", DEPLOY / "platform"]
    return sorted(
        p for folder in folders for p in folder.rglob("*.yaml") if p.name != "kustomization.yaml"
    )


@pytest.fixture(scope="session")
def gitops_manifests(gitops_files: list[Path]) -> list[Manifest]:
    return [doc for path in gitops_files for doc in load_all(path.read_text())]


@pytest.fixture(scope="session")
def versions() -> dict[str, str]:
    return tool_versions()


_COMBINATORS = ("oneOf", "anyOf", "allOf", "not")


def _strict(node: Any, *, root: bool = False, branch: bool = False) -> Any:
    """An openAPIV3Schema made strict the way kubeconform's openapi2jsonschema
    does (objects with properties reject unknown fields; int-or-string becomes
    oneOf), except in oneOf/anyOf branches, which only constrain an object
    declared by their parent: closing them rejects valid objects."""
    if isinstance(node, list):
        return [_strict(item, branch=branch) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: _strict(value, branch=key in _COMBINATORS)
        if key in (*_COMBINATORS, "items", "additionalProperties")
        else {k: _strict(v) for k, v in value.items()}
        if key == "properties" and isinstance(value, dict)
        else value
        for key, value in node.items()
    }
    if out.get("format") == "int-or-string":
        del out["format"]
        out.pop("type", None)
        out["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if "properties" in out and not root and not branch:
        out.setdefault("additionalProperties", False)
    return out


def _write_crd_schemas(crd: Manifest, out: Path) -> list[Path]:
    """One kubeconform-layout JSON schema per served version of the CRD."""
    group = crd["spec"]["group"]
    kind = crd["spec"]["names"]["kind"].lower()
    written = []
    for version in crd["spec"]["versions"]:
        if version.get("served"):
            path = out / group / f"{kind}_{version['name']}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(_strict(version["schema"]["openAPIV3Schema"], root=True)))
            written.append(path)
    return written


@pytest.fixture(scope="session")
def extra_crd_schemas(tmp_path_factory: pytest.TempPathFactory, versions: dict[str, str]) -> Path:
    """JSON schemas derived at test time into a temporary folder (nothing is
    copied into the repo), tried before the shared derived ones:
    - SecretProviderClass, absent from the shared data: its CRD ships in the
      pinned secrets-store-csi-driver Go module;
    - Gateway: the shared derived schema closes the oneOf branches of
      spec.addresses and so rejects every NamedAddress; re-derived here from
      the shared Gateway API CRD."""
    go = require_tool("go", "install Go 1.24+ (it fetches the pinned CRD module)")
    module = (
        f"sigs.k8s.io/secrets-store-csi-driver@v{versions['KV_SECRETS_STORE_CSI_DRIVER_VERSION']}"
    )
    result = subprocess.run(
        [go, "mod", "download", "-json", module],
        capture_output=True, text=True, check=False, timeout=300, cwd=DEPLOY,
    )  # fmt: skip
    info = json.loads(result.stdout or "{}")
    assert "Dir" in info, f"go mod download {module} failed: {info.get('Error') or result.stderr}"
    crd_files = [
        Path(info["Dir"])
        / "config/crd/bases/secrets-store.csi.x-k8s.io_secretproviderclasses.yaml",
        *schemas_dir().glob("crds/gateway-api-*-standard/gateway.networking.k8s.io_gateways.yaml"),
    ]
    assert len(crd_files) == 2, f"expected one Gateway API CRD set in {schemas_dir()}/crds"
    out = tmp_path_factory.mktemp("crd-schemas")
    for crd_file in crd_files:
        assert _write_crd_schemas(yaml.safe_load(crd_file.read_text()), out), crd_file
    return out


@pytest.fixture(scope="session")
def kubeconform(
    extra_crd_schemas: Path, versions: dict[str, str]
) -> Callable[[list[Path]], subprocess.CompletedProcess[str]]:
    """kubeconform, strict, offline: Kubernetes core schemas, then the CRD schemas."""
    binary = require_tool("kubeconform")
    schemas = schemas_dir()
    k8s_version = versions["KV_KUBERNETES_VERSION"]
    crd_layout = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"

    def run(files: list[Path]) -> subprocess.CompletedProcess[str]:
        cmd = [
            binary, "-strict", "-summary", "-output", "json",
            "-kubernetes-version", k8s_version,
            "-schema-location", str(schemas / "kubernetes-json-schema"),
            "-schema-location", str(extra_crd_schemas / crd_layout),
            "-schema-location", str(schemas / "jsonschema-derived" / crd_layout),
            *map(str, files),
        ]  # fmt: skip
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)

    return run


@pytest.fixture(scope="session")
def rendered_dir(
    tmp_path_factory: pytest.TempPathFactory, default_yaml: str, prod_yaml: str
) -> Path:
    """The two renders as files, for the tools that read files."""
    out = tmp_path_factory.mktemp("rendered")
    (out / "defaults.yaml").write_text(default_yaml)
    (out / "prod.yaml").write_text(prod_yaml)
    return out


@pytest.fixture(scope="session")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kube]:
    """One local control plane for the whole session (tools/cluster up/down)."""
    yield from start_cluster(tmp_path_factory.mktemp("cluster"))
