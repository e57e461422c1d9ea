"""Argo CD for real: deploy/argocd/bootstrap.sh against the local control plane,
then the pinned Argo CD's application controller and repo server syncing the app
of apps from a local git remote (tools/delivery/local_argocd.py), and releases,
rollbacks, hand edits and the emergency brake through it.

One bootstrapped cluster serves the module; each test changes git (or the
cluster) and waits, by polling the Applications, for Argo CD to reach the state
the test asserts. The tests run in file order and build on each other.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from deploy.tests.bootstrapped import syncing_cluster
from tools.delivery.image_values import ImageRef, parse
from tools.delivery.local_argocd import (
    APPS,
    SYNC_TIMEOUT,
    ArgoCD,
    GitRemote,
    Kubectl,
    Syncing,
    application,
    kv_image,
    refresh,
    synced_at,
    wait_until,
)
from tools.delivery.promote import DEFAULT_VALUES_FILE as VALUES_FILE
from tools.delivery.release import PROMOTE

# Cluster, bootstrap and the first syncs come before the first test.
pytestmark = pytest.mark.timeout(1500)

CLUSTER_DIR = "deploy/argocd/clusters/prod"
KV_DEPLOYMENT = ("kv", "Deployment", "kv")
# What may be other than Healthy here, and why: every other resource must be Healthy.
NOT_HEALTHY_HERE = {
    # No metrics API here (no kubelet, no metrics-server): the HPA reports
    # ScalingActive=False, which Argo CD counts as Degraded.
    ("kv", "HorizontalPodAutoscaler", "kv"): "Degraded",
    # No GKE Gateway controller: nothing programs the Gateway or accepts
    # the routes (only GKE shows the load balancer).
    ("platform-gateway", "Gateway", "external"): "Progressing",
    ("platform-gateway", "HTTPRoute", "http-redirect"): "Progressing",
    ("kv", "HTTPRoute", "kv"): "Progressing",
}


def digest(char: str) -> str:
    return "sha256:" + char * 64


def promote(remote: GitRemote, char: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """tools/promote commit, as the pipeline's promote step runs it."""
    return subprocess.run(
        [sys.executable, str(PROMOTE), "commit", "-C", str(remote.work),
         "--digest", digest(char), "--source-commit", char * 40, *extra],
        env=remote.env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


@dataclass
class Delivery:
    running: Syncing

    @property
    def remote(self) -> GitRemote:
        return self.running.remote

    @property
    def kubectl(self) -> Kubectl:
        return self.running.kubectl

    @property
    def argocd(self) -> ArgoCD:
        return self.running.argocd

    def promote(self, char: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return promote(self.remote, char, *extra)

    def tip(self) -> str:
        return self.running.tip()

    def wait_synced(self, *apps: str) -> None:
        self.running.wait_synced(apps or APPS, SYNC_TIMEOUT)

    def deployment(self) -> dict[str, Any]:
        return self.kubectl.get("-n", "kv", "deployment/kv") or {}

    def pinned(self) -> str:
        """The image that deploy/environments/prod/image.yaml pins at main's tip."""
        self.remote.pull()
        values = parse((self.remote.work / VALUES_FILE).read_text(), VALUES_FILE)
        return str(ImageRef(values.repository, values.digest))

    def wait_rolled_out(self, image: str) -> None:
        self.running.wait_rolled_out(image, SYNC_TIMEOUT)

    def edit(self, message: str, path: str, old: str, new: str) -> None:
        """A commit to main that replaces `old` by `new` in one file."""

        def change(work: Path) -> None:
            file = work / path
            text = file.read_text()
            assert old in text, f"{path} has no {old!r}"
            file.write_text(text.replace(old, new))

        self.remote.commit(message, change)


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Delivery]:
    def first_release(remote: GitRemote) -> None:
        # This checkout's image.yaml pins no digest.
        first = promote(remote, "a")
        assert first.returncode == 0, first.stderr

    root = tmp_path_factory.mktemp("gitops")
    with syncing_cluster(root, first_release, SYNC_TIMEOUT) as running:
        yield Delivery(running)


def test_bootstrap_then_every_application_syncs_and_kv_runs_the_promoted_digest(
    delivery: Delivery,
) -> None:
    tip = delivery.tip()
    for app in APPS:
        assert synced_at(delivery.kubectl, app, tip), app
        for resource in application(delivery.kubectl, app)["status"]["resources"]:
            assert resource["status"] == "Synced", (app, resource)
    pinned = delivery.pinned()
    assert pinned.endswith("@" + digest("a"))
    delivery.wait_rolled_out(pinned)

    def unexpected_health() -> dict[tuple[str, str, str], str]:
        # Argo CD reports no health for kinds it does not assess (ConfigMap,
        # ServiceAccount, ...); the Deployment it must, or nothing was assessed.
        health = {
            (app, resource["kind"], resource["name"]): resource.get("health", {}).get("status")
            for app in APPS
            for resource in application(delivery.kubectl, app)["status"]["resources"]
        }
        found = {
            key: str(status)
            for key, status in health.items()
            # (The HPA is Healthy until its controller first fails to read metrics.)
            if status not in (None, "Healthy", NOT_HEALTHY_HERE.get(key))
        }
        if health.get(KV_DEPLOYMENT) != "Healthy":
            found[KV_DEPLOYMENT] = str(health.get(KV_DEPLOYMENT))
        found |= {key: "absent" for key in NOT_HEALTHY_HERE if key not in health}
        return found

    # Health is re-read at each reconciliation: the rollout just finished.
    try:
        wait_until("every resource Healthy but those kwok cannot make so",
                   lambda: not unexpected_health(), SYNC_TIMEOUT, every=2)  # fmt: skip
    except TimeoutError as error:
        raise AssertionError(f"{error}: {unexpected_health()}") from error


def test_promote_rolls_kv_and_a_revert_rolls_it_back_until_the_hold_is_cleared(
    delivery: Delivery,
) -> None:
    before = delivery.pinned()
    promoted = delivery.promote("b")
    assert promoted.returncode == 0, promoted.stderr
    delivery.wait_synced("kv")
    assert delivery.pinned().endswith("@" + digest("b"))
    delivery.wait_rolled_out(delivery.pinned())

    # The rollback: git revert of the promote commit, git's message kept.
    delivery.remote.pull()
    delivery.remote.git("revert", "--no-edit", "HEAD")
    delivery.remote.git("push", "--quiet", "origin", "HEAD:refs/heads/main")
    delivery.wait_synced("kv")
    delivery.wait_rolled_out(before)

    # The next ordinary build does not bring the reverted digest back.
    reverted = delivery.tip()
    held = delivery.promote("c")
    assert held.returncode == 0, held.stderr
    assert "held:" in held.stdout, held.stdout
    assert delivery.tip() == reverted
    delivery.wait_synced("kv")
    assert kv_image(delivery.kubectl) == before


def test_a_manual_edit_is_healed_and_the_replica_count_is_left_to_the_hpa(
    delivery: Delivery,
) -> None:
    kubectl, pinned = delivery.kubectl, delivery.pinned()
    # Settled first: a sync still due to a new revision would also undo the edit.
    delivery.wait_synced("kv")
    # As the HPA would (within its range, so it leaves it there).
    kubectl.run("-n", "kv", "scale", "deployment/kv", "--replicas=17")
    # A hand edit, seen stored by the API server before Argo CD heals it.
    edited = pinned.split("@")[0] + "@" + digest("e")
    stored = kubectl.run("-n", "kv", "set", "image", "deployment/kv", f"kv={edited}",
                         "-o", "jsonpath={.spec.template.spec.containers[0].image}")  # fmt: skip
    assert stored == edited

    delivery.wait_rolled_out(pinned)
    delivery.wait_synced("kv")
    assert delivery.deployment()["spec"]["replicas"] == 17


def test_a_field_deleted_from_git_disappears_from_the_cluster(delivery: Delivery) -> None:
    assert application(delivery.kubectl, "kv")["spec"]["revisionHistoryLimit"] == 10
    delivery.edit("kv: no revisionHistoryLimit", f"{CLUSTER_DIR}/kv.yaml",
                  "  revisionHistoryLimit: 10\n", "")  # fmt: skip
    delivery.wait_synced("root")
    assert "revisionHistoryLimit" not in application(delivery.kubectl, "kv")["spec"]


def test_auto_sync_paused_through_argocd_server_is_not_undone_by_root(
    delivery: Delivery,
) -> None:
    kubectl = delivery.kubectl

    def automated(enabled: bool) -> None:
        # What `argocd app patch` does: argocd-server writes the Application.
        kubectl.run("-n", "argocd", "patch", "applications.argoproj.io/kv", "--type=merge",
                    "--field-manager=argocd-server", "-p", json.dumps(
                        {"spec": {"syncPolicy": {"automated": {"enabled": enabled}}}}))  # fmt: skip

    automated(False)
    try:
        # A change in root's folder: root syncs every child Application again.
        delivery.edit("argo-cd: a comment", f"{CLUSTER_DIR}/argo-cd.yaml",
                      "# Argo CD manages itself", "# Argo CD (this Application) manages itself")  # fmt: skip
        delivery.wait_synced("root")
        assert application(kubectl, "kv")["spec"]["syncPolicy"]["automated"]["enabled"] is False
        # Paused means paused: Argo CD sees a hand edit of kv and leaves it.
        edited = delivery.pinned().split("@")[0] + "@" + digest("f")
        kubectl.run("-n", "kv", "set", "image", "deployment/kv", f"kv={edited}")
        refresh(kubectl, "kv")
        wait_until("kv to report the hand edit as OutOfSync",
                   lambda: application(kubectl, "kv")["status"]["sync"]["status"] == "OutOfSync",
                   SYNC_TIMEOUT, every=2)  # fmt: skip
        assert kv_image(kubectl) == edited
    finally:
        automated(True)
    # Resumed: kv syncs again (to the tip root synced while paused) and the hand edit is gone.
    delivery.wait_rolled_out(delivery.pinned())
