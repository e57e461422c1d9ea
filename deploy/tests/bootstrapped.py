"""A local control plane with Argo CD bootstrapped on it by deploy/argocd/bootstrap.sh,
as written, from a local git remote: shared by test_bootstrap.py and test_argocd_sync.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from deploy.tests.kube import start_cluster
from tools.delivery.local_argocd import (
    GitRemote,
    Kubectl,
    bootstrap,
    default_project_as_argocd_server_creates_it,
)
from tools.testkit.tooling import require_tool, tool_versions


@dataclass(frozen=True)
class Bootstrapped:
    """A control plane of its own after bootstrap.sh, and the git remote seeded
    with this checkout's deploy/ that it applied."""

    remote: GitRemote
    kubectl: Kubectl
    stdout: str


@contextmanager
def bootstrapped_cluster(root: Path) -> Iterator[Bootstrapped]:
    require_tool("git")
    version = "v" + tool_versions()["argocd"]
    remote = GitRemote(root)
    remote.seed(version)
    # Its own cluster: the bootstrap takes over namespaces and CRDs.
    with contextmanager(start_cluster)(root / "cluster") as kube:
        kubectl = Kubectl(kube.kubeconfig)
        default_project_as_argocd_server_creates_it(kubectl, version)
        done = bootstrap(kubectl, remote.work)
        assert done.returncode == 0, done.stdout + done.stderr
        yield Bootstrapped(remote, kubectl, done.stdout)
