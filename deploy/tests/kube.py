"""A real local control plane for the deploy/ tests: `tools/cluster` (etcd,
kube-apiserver, controller-manager, scheduler, kwok nodes in three zones) and
kubectl against it, and what the tests on it share (the chart rendered into
a namespace, its Ready pods)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.tests.manifests import CHART, RELEASE, Manifest
from tools.delivery.local_argocd import local_cluster
from tools.testkit.tooling import require_tool

# What tools/cluster starts, so a missing one fails the test up front.
CLUSTER_TOOLS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


@dataclass(frozen=True)
class Kube:
    """kubectl bound to one cluster's admin kubeconfig."""

    kubectl: str
    kubeconfig: Path

    def run(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.kubectl, "--kubeconfig", str(self.kubeconfig), *args],
            input=stdin, capture_output=True, text=True, check=False, timeout=timeout,
        )  # fmt: skip
        if check:
            assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result

    def json(self, *args: str, stdin: str | None = None) -> Any:
        return json.loads(self.run(*args, "-o", "json", stdin=stdin).stdout)

    def apply(
        self, manifests: str, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Server-side apply, as Argo CD and the bootstrap apply."""
        return self.run("apply", "--server-side", "--field-manager", "kv-tests", "-f", "-", *args,
                        stdin=manifests, check=check)  # fmt: skip

    def restricted_namespace(self, name: str) -> None:
        """A namespace that enforces the restricted Pod Security Standard, as prod's does."""
        self.apply(
            json.dumps({
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": {
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                }},
            })
        )  # fmt: skip
        # The ServiceAccount admission plugin refuses pods until the
        # namespace's default service account exists.
        wait_until(
            lambda: self.run("-n", name, "get", "sa", "default", check=False).returncode == 0
        )


def wait_until(
    condition: Callable[[], bool], timeout: float = 120, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} not reached within {timeout} s"
        time.sleep(0.5)


def start_cluster(state: Path) -> Iterator[Kube]:
    """tools/cluster up in its own state folder; down afterwards, whatever happened."""
    for tool in CLUSTER_TOOLS:
        require_tool(tool)
    kubectl = require_tool("kubectl")
    with local_cluster(state) as kubeconfig:
        yield Kube(kubectl, kubeconfig)


def render_into(helm: str, namespace: str, *args: str) -> str:
    result = subprocess.run(
        [helm, "template", RELEASE, str(CHART), "--namespace", namespace, *args],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def ready_pods(kube: Kube, namespace: str) -> list[Manifest]:
    pods = kube.json("-n", namespace, "get", "pods", "-l", f"app.kubernetes.io/instance={RELEASE}")
    return [
        p
        for p in pods["items"]
        if not p["metadata"].get("deletionTimestamp")
        and any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in p.get("status", {}).get("conditions", [])
        )
    ]
