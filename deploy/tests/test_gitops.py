"""The Argo CD objects fit together and fit the chart: every Application's
source exists in this repo, its project allows everything it deploys, the
kv Application syncs the way production needs, the bootstrap installs the
pinned Argo CD release and its one command applies things in a working order."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import yaml

from deploy.tests.manifests import CHART, DEPLOY, PROD_VALUE_FILES, Manifest, find
from tools.generation.generate import committed_platform
from tools.testkit.tooling import REPO_ROOT, require_tool, schemas_dir

REPO_URL = "https://github.com/example-org/kv-platform.git"
IN_CLUSTER = "https://kubernetes.default.svc"
ARGOCD = DEPLOY / "argocd"
CLUSTER = ARGOCD / "clusters" / "prod"


def _applications(gitops_manifests: list[Manifest]) -> list[Manifest]:
    return [m for m in gitops_manifests if m["kind"] == "Application"]


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def test_every_application_syncs_an_existing_path_of_this_repo_on_main(
    gitops_manifests: list[Manifest],
) -> None:
    apps = _applications(gitops_manifests)
    assert {a["metadata"]["name"] for a in apps} == {"root", "argo-cd", "platform-gateway", "kv"}
    for app in apps:
        source = app["spec"]["source"]
        assert source["repoURL"] == REPO_URL
        assert source["targetRevision"] == "main"
        assert (REPO_ROOT / source["path"]).is_dir(), source["path"]
        assert app["spec"]["destination"]["server"] == IN_CLUSTER
        assert app["metadata"]["namespace"] == "argocd"
        policy = app["spec"]["syncPolicy"]
        assert policy["automated"] == {"enabled": True, "prune": True, "selfHeal": True}
        assert "ServerSideApply=true" in policy["syncOptions"]
        assert policy["retry"]["limit"] > 0
        assert policy["retry"]["backoff"]["factor"] >= 2
        # A fix pushed during a failing sync is picked up at the next retry.
        assert policy["retry"]["refresh"] is True
        # Removing an Application orphans its objects instead of deleting production.
        assert "finalizers" not in app["metadata"]


def test_root_is_an_app_of_apps_that_also_manages_itself(gitops_manifests: list[Manifest]) -> None:
    root = find(gitops_manifests, "Application", "root")
    assert REPO_ROOT / root["spec"]["source"]["path"] == CLUSTER
    assert find(gitops_manifests, "Application", "argo-cd")["spec"]["source"]["path"] == (
        "deploy/argocd/bootstrap/argo-cd"
    )


def test_kv_application_renders_the_chart_with_the_prod_and_promoted_image_values(
    gitops_manifests: list[Manifest],
) -> None:
    app = find(gitops_manifests, "Application", "kv")
    source = app["spec"]["source"]
    assert REPO_ROOT / source["path"] == CHART
    value_files = [(CHART / f).resolve() for f in source["helm"]["valueFiles"]]
    # The promoted digest must come last so nothing else can override it.
    assert value_files == [path.resolve() for path in PROD_VALUE_FILES]
    policy = app["spec"]["syncPolicy"]
    assert {"CreateNamespace=true", "RespectIgnoreDifferences=true"} <= set(policy["syncOptions"])
    assert (
        policy["managedNamespaceMetadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        == "restricted"
    )
    # Where Argo CD deploys is where Terraform bound Workload Identity
    # (namespace/KSA) and what the SLOs' backend-service names say.
    kubernetes = committed_platform()["kubernetes"]
    namespace, name = kubernetes["namespace"], kubernetes["service_name"]
    assert app["spec"]["destination"]["namespace"] == namespace
    assert {"group": "apps", "kind": "Deployment", "name": name, "namespace": namespace,
            "jsonPointers": ["/spec/replicas"]} in app["spec"]["ignoreDifferences"]  # fmt: skip


def test_each_project_allows_exactly_what_its_applications_deploy(
    gitops_manifests: list[Manifest], prod_manifests: list[Manifest]
) -> None:
    projects = {
        p["metadata"]["name"]: p["spec"] for p in gitops_manifests if p["kind"] == "AppProject"
    }
    # The built-in default project can deploy nothing.
    default = projects["default"]
    assert default["sourceRepos"] == []
    assert default["destinations"] == []
    assert default["namespaceResourceBlacklist"] == [{"group": "*", "kind": "*"}]
    for app in _applications(gitops_manifests):
        project = projects[app["spec"]["project"]]
        assert project["sourceRepos"] == [REPO_URL]
        destination = {k: app["spec"]["destination"][k] for k in ("server", "namespace")}
        assert destination in project["destinations"]

    def allowed(project: str) -> set[tuple[str, str]]:
        spec = projects[project]
        return {(k["group"], k["kind"]) for k in spec.get("namespaceResourceWhitelist", [])}

    rendered = {(_group(m["apiVersion"]), m["kind"]) for m in prod_manifests}
    assert rendered == allowed("kv"), "the kv project and the chart's kinds disagree"
    platform = [m for m in gitops_manifests if m["metadata"].get("namespace") == "gateway"]
    assert {(_group(m["apiVersion"]), m["kind"]) for m in platform} == allowed("platform")


NEVER_PRUNED = "Prune=false,Delete=false"


def _sync_options(manifest: Manifest) -> str:
    return str(manifest["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-options"))


def test_no_sync_can_delete_projects_or_argo_cds_namespace_and_crds(
    gitops_manifests: list[Manifest],
) -> None:
    projects = [m for m in gitops_manifests if m["kind"] == "AppProject"]
    assert projects
    assert all(_sync_options(p) == NEVER_PRUNED for p in projects)
    namespace = find(gitops_manifests, "Namespace", "argocd")
    assert _sync_options(namespace) == NEVER_PRUNED
    kustomization = yaml.safe_load(
        (ARGOCD / "bootstrap" / "argo-cd" / "kustomization.yaml").read_text()
    )
    crd_patches = [p for p in kustomization["patches"]
                   if p["target"] == {"kind": "CustomResourceDefinition"}]  # fmt: skip
    assert len(crd_patches) == 1
    assert yaml.safe_load(crd_patches[0]["patch"])[0]["value"] == {
        "argocd.argoproj.io/sync-options": NEVER_PRUNED
    }


def test_projects_may_create_only_their_own_namespace_and_root_only_argo_cd_objects(
    gitops_manifests: list[Manifest],
) -> None:
    projects = {
        p["metadata"]["name"]: p["spec"] for p in gitops_manifests if p["kind"] == "AppProject"
    }
    for name, spec in projects.items():
        for item in spec.get("clusterResourceWhitelist", []):
            assert "*" not in (item["group"], item["kind"]), name
            if item["kind"] == "Namespace":
                assert item.get("name") == spec["destinations"][0]["namespace"], name
    # The app of apps can only make Applications and AppProjects (Argo CD's
    # cluster-bootstrapping guide: that alone is admin-level).
    root = find(gitops_manifests, "Application", "root")
    apps = projects[root["spec"]["project"]]
    assert apps["clusterResourceWhitelist"] == []
    assert {(k["group"], k["kind"]) for k in apps["namespaceResourceWhitelist"]} == {
        ("argoproj.io", "Application"), ("argoproj.io", "AppProject")}  # fmt: skip
    assert (
        root["spec"]["project"]
        != find(gitops_manifests, "Application", "argo-cd")["spec"]["project"]
    )


def test_sync_waves_order_projects_then_argo_cd_then_gateway_then_kv(
    gitops_manifests: list[Manifest],
) -> None:
    def wave(manifest: Manifest) -> int:
        return int(manifest["metadata"].get("annotations", {}).get(
            "argocd.argoproj.io/sync-wave", "0"))  # fmt: skip

    projects = {wave(p) for p in gitops_manifests if p["kind"] == "AppProject"}
    order = [wave(find(gitops_manifests, "Application", name))
             for name in ("argo-cd", "platform-gateway", "kv")]  # fmt: skip
    assert len(projects) == 1
    assert projects.pop() < order[0] < order[1] < order[2]


def test_root_keeps_a_pause_made_through_argo_cd_and_still_applies_git(
    gitops_manifests: list[Manifest],
) -> None:
    root = find(gitops_manifests, "Application", "root")
    assert "RespectIgnoreDifferences=true" in root["spec"]["syncPolicy"]["syncOptions"]
    assert root["spec"]["ignoreDifferences"] == [
        {"group": "argoproj.io", "kind": "Application", "managedFieldsManagers": ["argocd-server"]}
    ]


def test_platform_gateway_admits_the_kv_route_on_its_https_listener(
    gitops_manifests: list[Manifest], prod_manifests: list[Manifest]
) -> None:
    gateway = find(gitops_manifests, "Gateway", "external")
    route = find(prod_manifests, "HTTPRoute")
    parent = route["spec"]["parentRefs"][0]
    assert (parent["name"], parent["namespace"]) == (
        gateway["metadata"]["name"],
        gateway["metadata"]["namespace"],
    )
    listener = next(
        lst for lst in gateway["spec"]["listeners"] if lst["name"] == parent["sectionName"]
    )
    assert listener["protocol"] == "HTTPS"
    assert listener["port"] == 443
    admitted = listener["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]
    assert admitted["key"] == "kubernetes.io/metadata.name"
    assert route["metadata"]["namespace"] in admitted["values"]
    redirect = find(gitops_manifests, "HTTPRoute", "http-redirect")
    assert redirect["spec"]["rules"][0]["filters"][0]["requestRedirect"]["scheme"] == "https"


def test_bootstrap_installs_the_pinned_argo_cd_release_validated_here(
    versions: dict[str, str],
) -> None:
    kustomization = yaml.safe_load(
        (ARGOCD / "bootstrap" / "argo-cd" / "kustomization.yaml").read_text()
    )
    version = "v" + versions["argocd"]
    remote = [r for r in kustomization["resources"] if "://" in r]
    assert remote == [
        f"https://raw.githubusercontent.com/argoproj/argo-cd/{version}/manifests/install.yaml"
    ]
    for local in set(kustomization["resources"]) - set(remote):
        assert (ARGOCD / "bootstrap" / "argo-cd" / local).is_file(), local
    assert kustomization["namespace"] == "argocd"
    # The Argo CD objects are validated against this same release's CRDs.
    assert (schemas_dir() / "crds" / f"argo-cd-{version}").is_dir()


def _fake_kubectl(folder: Path, log: Path) -> None:
    kubectl = folder / "kubectl"
    kubectl.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\n')
    kubectl.chmod(kubectl.stat().st_mode | stat.S_IEXEC)


def test_bootstrap_command_installs_argo_cd_then_waits_then_hands_over_to_git(
    tmp_path: Path,
) -> None:
    log = tmp_path / "kubectl.log"
    _fake_kubectl(tmp_path, log)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    script = ARGOCD / "bootstrap.sh"
    result = subprocess.run(
        [str(script), "gke_example"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert all(call.startswith("--context gke_example ") for call in calls)
    steps = [re.sub(r"^--context gke_example ", "", c) for c in calls]
    apply = "apply --server-side --field-manager=argocd-controller --force-conflicts"
    assert steps[0] == f"{apply} -k {ARGOCD}/bootstrap/argo-cd"
    assert steps[1].startswith("wait --for=condition=Established")
    assert "crd/applications.argoproj.io" in steps[1]
    assert steps[-1] == f"{apply} -f {CLUSTER}"


def test_bootstrap_command_refuses_to_guess_the_cluster(tmp_path: Path) -> None:
    log = tmp_path / "kubectl.log"
    _fake_kubectl(tmp_path, log)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    script = str(ARGOCD / "bootstrap.sh")
    for args in ([script], [script, "gke_example", "staging"]):
        result = subprocess.run(
            args, env=env, capture_output=True, text=True, check=False, timeout=60
        )
        assert result.returncode != 0
    assert not log.exists(), "kubectl ran without an explicit, existing target"


def test_bootstrap_command_passes_shellcheck() -> None:
    shellcheck = require_tool("shellcheck")
    result = subprocess.run(
        [shellcheck, str(ARGOCD / "bootstrap.sh")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout
