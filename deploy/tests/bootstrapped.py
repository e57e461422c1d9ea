"""A local control plane with Argo CD bootstrapped on it by deploy/argocd/bootstrap.sh,
as written, from a local git remote, for test_bootstrap.py and test_argocd_sync.py:
the steps are tools/delivery/local_argocd.py's (tools/release runs them too); here
each first checks the tools it needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy.tests.kube import CLUSTER_TOOLS
from tools.delivery.local_argocd import Bootstrapped, GitRemote, Syncing, bootstrapped, syncing
from tools.testkit.tooling import require_tool, tool_versions

# The controller runs with Argo CD's Redis; the repo server renders with helm
# and kustomize.
ARGOCD_TOOLS = ("argocd", "redis-server", "helm", "kustomize")


def _argocd_version() -> str:
    for tool in ("git", "kubectl", *CLUSTER_TOOLS):
        require_tool(tool)
    return "v" + tool_versions()["argocd"]


@contextmanager
def bootstrapped_cluster(root: Path) -> Iterator[Bootstrapped]:
    with bootstrapped(root, _argocd_version()) as done:
        yield done


@contextmanager
def syncing_cluster(
    root: Path, first_release: Callable[[GitRemote], None], timeout: float
) -> Iterator[Syncing]:
    for tool in ARGOCD_TOOLS:
        require_tool(tool)
    with syncing(root, _argocd_version(), first_release, timeout) as running:
        yield running
