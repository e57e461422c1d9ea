"""deploy/argocd/bootstrap.sh as written, against the local control plane
(tools/cluster): the pinned Argo CD install, then the app of apps, applied to a
real API server after argocd-server has created its wide-open `default`
project. The deploy/ folder it applies is this checkout's, made local
(tools/delivery/local_argocd.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from deploy.tests.kube import start_cluster
from tools.delivery.local_argocd import GitRemote, Kubectl, bootstrap, install_manifest, wait_until
from tools.testkit.tooling import REPO_ROOT, require_tool, tool_versions

# Cluster start and the bootstrap's waits come before the first test.
pytestmark = pytest.mark.timeout(1200)

WIDE_OPEN_DEFAULT = """
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: default, namespace: argocd}
spec:
  sourceRepos: ["*"]
  destinations: [{server: "*", namespace: "*"}]
  clusterResourceWhitelist: [{group: "*", kind: "*"}]
"""


@dataclass
class Bootstrapped:
    kubectl: Kubectl
    stdout: str

    def get(self, *args: str) -> dict[str, Any]:
        found = self.kubectl.get(*args)
        assert found is not None, f"{' '.join(args)} not found"
        return found


def _default_project_as_argocd_server_creates_it(kubectl: Kubectl, version: str) -> None:
    """argocd-server creates `default` wide open when it starts, before step 3 of the
    bootstrap; it runs nowhere here, so its objects are created as it creates them."""
    crd = next(d for d in yaml.safe_load_all(install_manifest(version))
               if d and d["metadata"]["name"] == "appprojects.argoproj.io")  # fmt: skip
    create = ("create", "--field-manager=argocd-server", "-f", "-")
    if kubectl.get("namespace/argocd") is None:
        kubectl.run(*create, stdin="apiVersion: v1\nkind: Namespace\nmetadata: {name: argocd}\n")
    if kubectl.get("crd/appprojects.argoproj.io") is None:
        kubectl.run(*create, stdin=json.dumps(crd))

    def established() -> bool:
        status = (kubectl.get("crd/appprojects.argoproj.io") or {}).get("status", {})
        return any(c["type"] == "Established" and c["status"] == "True"
                   for c in status.get("conditions") or [])  # fmt: skip

    wait_until("the AppProject kind to be served", established, 120)
    kubectl.run(*create, stdin=WIDE_OPEN_DEFAULT)


@pytest.fixture(scope="module")
def bootstrapped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bootstrapped]:
    for tool in ("kubectl", "git"):
        require_tool(tool)
    root = tmp_path_factory.mktemp("bootstrap")
    version = "v" + tool_versions()["argocd"]
    remote = GitRemote(root)
    remote.seed(version)
    # A control plane of its own: the bootstrap takes over namespaces and CRDs.
    with contextmanager(start_cluster)(root / "cluster") as kube:
        kubectl = Kubectl(kube.kubeconfig)
        _default_project_as_argocd_server_creates_it(kubectl, version)
        done = bootstrap(kubectl, remote.work)
        assert done.returncode == 0, done.stdout + done.stderr
        yield Bootstrapped(kubectl, done.stdout)


def test_bootstrap_locks_down_the_default_project_argocd_server_created(
    bootstrapped: Bootstrapped,
) -> None:
    spec = bootstrapped.get("-n", "argocd", "appprojects.argoproj.io/default")["spec"]
    assert spec.get("sourceRepos", []) == []
    assert spec.get("destinations", []) == []
    assert spec.get("clusterResourceWhitelist", []) == []
    assert spec["namespaceResourceBlacklist"] == [{"group": "*", "kind": "*"}]


def _appliers(obj: dict[str, Any]) -> set[str]:
    return {m["manager"] for m in obj["metadata"]["managedFields"] if m["operation"] == "Apply"}


def test_argo_cd_alone_owns_what_the_bootstrap_applied(bootstrapped: Bootstrapped) -> None:
    # Argo CD syncs as argocd-controller: a second owner would keep fields
    # that git later deletes.
    for name in ("root", "argo-cd", "platform-gateway", "kv"):
        app = bootstrapped.get(
            "--show-managed-fields", "-n", "argocd", f"applications.argoproj.io/{name}"
        )
        assert _appliers(app) == {"argocd-controller"}, name
    # (Not the CRDs: tools/cluster installs them first, as their own applier.)
    for args in (("namespace/argocd",), ("-n", "argocd", "appprojects.argoproj.io/default")):
        owners = _appliers(bootstrapped.get("--show-managed-fields", *args))
        assert owners == {"argocd-controller"}, args


def test_argo_cds_crds_namespace_and_projects_are_never_pruned(
    bootstrapped: Bootstrapped,
) -> None:
    never = "Prune=false,Delete=false"
    for args in (("namespace/argocd",), ("crd/applications.argoproj.io",),
                 ("crd/appprojects.argoproj.io",)):  # fmt: skip
        annotations = bootstrapped.get(*args)["metadata"].get("annotations", {})
        assert annotations.get("argocd.argoproj.io/sync-options") == never, args
    projects = bootstrapped.get("-n", "argocd", "appprojects.argoproj.io")["items"]
    committed = [d for d in yaml.safe_load_all(
        (REPO_ROOT / "deploy" / "argocd" / "clusters" / "prod" / "projects.yaml").read_text()) if d]  # fmt: skip
    assert sorted(p["metadata"]["name"] for p in projects) == sorted(
        d["metadata"]["name"] for d in committed
    )
    for project in projects:
        annotations = project["metadata"].get("annotations", {})
        assert annotations.get("argocd.argoproj.io/sync-options") == never
