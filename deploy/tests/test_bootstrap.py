"""deploy/argocd/bootstrap.sh as written, against the local control plane
(tools/cluster): the pinned Argo CD install, then the app of apps, applied to a
real API server after argocd-server has created its wide-open `default`
project. The deploy/ folder it applies is this checkout's, made local
(tools/delivery/local_argocd.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from deploy.tests.bootstrapped import bootstrapped_cluster
from tools.delivery.local_argocd import APPS, Bootstrapped
from tools.testkit.tooling import REPO_ROOT

# Cluster start and the bootstrap's waits come before the first test.
pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="module")
def bootstrapped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bootstrapped]:
    with bootstrapped_cluster(tmp_path_factory.mktemp("bootstrap")) as done:
        yield done


def _get(bootstrapped: Bootstrapped, *args: str) -> dict[str, Any]:
    found = bootstrapped.kubectl.get(*args)
    assert found is not None, f"{' '.join(args)} not found"
    return found


def test_bootstrap_locks_down_the_default_project_argocd_server_created(
    bootstrapped: Bootstrapped,
) -> None:
    spec = _get(bootstrapped, "-n", "argocd", "appprojects.argoproj.io/default")["spec"]
    assert spec.get("sourceRepos", []) == []
    assert spec.get("destinations", []) == []
    assert spec.get("clusterResourceWhitelist", []) == []
    assert spec["namespaceResourceBlacklist"] == [{"group": "*", "kind": "*"}]


def _appliers(obj: dict[str, Any]) -> set[str]:
    return {m["manager"] for m in obj["metadata"]["managedFields"] if m["operation"] == "Apply"}


def test_argo_cd_alone_owns_what_the_bootstrap_applied(bootstrapped: Bootstrapped) -> None:
    # Argo CD syncs as argocd-controller: a second owner would keep fields
    # that git later deletes.
    for name in APPS:
        app = _get(
            bootstrapped,
            "--show-managed-fields",
            "-n",
            "argocd",
            f"applications.argoproj.io/{name}",
        )
        assert _appliers(app) == {"argocd-controller"}, name
    # (Not the CRDs: tools/cluster installs them first, as their own applier.)
    for args in (("namespace/argocd",), ("-n", "argocd", "appprojects.argoproj.io/default")):
        owners = _appliers(_get(bootstrapped, "--show-managed-fields", *args))
        assert owners == {"argocd-controller"}, args


def test_argo_cds_crds_namespace_and_projects_are_never_pruned(
    bootstrapped: Bootstrapped,
) -> None:
    never = "Prune=false,Delete=false"
    for args in (("namespace/argocd",), ("crd/applications.argoproj.io",),
                 ("crd/appprojects.argoproj.io",)):  # fmt: skip
        annotations = _get(bootstrapped, *args)["metadata"].get("annotations", {})
        assert annotations.get("argocd.argoproj.io/sync-options") == never, args
    projects = _get(bootstrapped, "-n", "argocd", "appprojects.argoproj.io")["items"]
    committed = [d for d in yaml.safe_load_all(
        (REPO_ROOT / "deploy" / "argocd" / "clusters" / "prod" / "projects.yaml").read_text()) if d]  # fmt: skip
    assert sorted(p["metadata"]["name"] for p in projects) == sorted(
        d["metadata"]["name"] for d in committed
    )
    for project in projects:
        annotations = project["metadata"].get("annotations", {})
        assert annotations.get("argocd.argoproj.io/sync-options") == never
