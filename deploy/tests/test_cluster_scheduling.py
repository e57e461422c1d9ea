"""The chart's availability promises, played out by the real scheduler,
controllers and eviction API on kwok nodes in three zones: the pods spread
over the zones as the topology constraints say, the PodDisruptionBudget
refuses a second eviction while a pod is down, and a rolling update
(maxUnavailable 0) never has fewer Ready pods than desired."""

from __future__ import annotations

import json
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from deploy.tests.kube import Kube, ready_pods, render_into, wait_until
from deploy.tests.manifests import RELEASE, Manifest, find, load_all

NAMESPACE = "kv-scheduling"
ZONE = "topology.kubernetes.io/zone"


@pytest.fixture(scope="module")
def release(kube: Kube, helm: str) -> list[Manifest]:
    """The chart's defaults, applied and at their HPA floor, every pod Ready."""
    kube.restricted_namespace(NAMESPACE)
    text = render_into(helm, NAMESPACE)
    kube.apply(text)
    manifests = load_all(text)
    want = find(manifests, "HorizontalPodAutoscaler")["spec"]["minReplicas"]
    wait_until(lambda: len(ready_pods(kube, NAMESPACE)) == want, 180, f"{want} Ready pods")
    return manifests


def node_zones(kube: Kube) -> dict[str, str]:
    nodes = kube.json("get", "nodes")["items"]
    return {n["metadata"]["name"]: n["metadata"]["labels"][ZONE] for n in nodes}


def test_pods_spread_evenly_over_the_three_zones(kube: Kube, release: list[Manifest]) -> None:
    zones = node_zones(kube)
    assert len(set(zones.values())) == 3
    per_zone = Counter(zones[p["spec"]["nodeName"]] for p in ready_pods(kube, NAMESPACE))
    max_skew = next(
        c["maxSkew"]
        for c in find(release, "Deployment")["spec"]["template"]["spec"][
            "topologySpreadConstraints"
        ]
        if c["topologyKey"] == ZONE
    )
    assert len(per_zone) == 3, per_zone
    assert max(per_zone.values()) - min(per_zone.values()) <= max_skew, per_zone


def evict(kube: Kube, pod: str) -> subprocess.CompletedProcess[str]:
    """The Eviction API, as `kubectl drain` calls it."""
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction",
                "metadata": {"name": pod, "namespace": NAMESPACE}}  # fmt: skip
    return kube.run("create", "--raw", f"/api/v1/namespaces/{NAMESPACE}/pods/{pod}/eviction",
                    "-f", "-", stdin=json.dumps(eviction), check=False)  # fmt: skip


@pytest.fixture
def cordoned(kube: Kube) -> Iterator[None]:
    """Every node cordoned, so an evicted pod's replacement stays Pending (down)."""
    kube.run("cordon", "--selector", "type=kwok")
    try:
        yield
    finally:
        kube.run("uncordon", "--selector", "type=kwok")


def test_the_disruption_budget_refuses_a_second_eviction_while_one_pod_is_down(
    kube: Kube, release: list[Manifest], cordoned: None
) -> None:
    assert find(release, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    wait_until(
        lambda: kube.json("-n", NAMESPACE, "get", "pdb", RELEASE)["status"].get("disruptionsAllowed") == 1,
        60, "the PDB to allow one disruption",
    )  # fmt: skip
    first, second, *_ = [p["metadata"]["name"] for p in ready_pods(kube, NAMESPACE)]
    assert evict(kube, first).returncode == 0
    refused = evict(kube, second)
    assert refused.returncode != 0
    assert "disruption budget" in refused.stderr, refused.stderr
    # The refusal was the budget's: once the replacement is Ready, it is allowed.
    kube.run("uncordon", "--selector", "type=kwok")
    want = find(release, "HorizontalPodAutoscaler")["spec"]["minReplicas"]
    wait_until(lambda: len(ready_pods(kube, NAMESPACE)) == want, 120, "the replacement Ready")
    wait_until(lambda: evict(kube, second).returncode == 0, 60, "the second eviction allowed")


class ReadyWatch:
    """Every change of the release's pods, from a watch (not sampled): the
    lowest count of Ready, non-terminating pods seen while it ran."""

    def __init__(self, kube: Kube) -> None:
        self.process = subprocess.Popen(
            [kube.kubectl, "--kubeconfig", str(kube.kubeconfig), "-n", NAMESPACE, "get", "pods",
             "-l", f"app.kubernetes.io/instance={RELEASE}", "--watch", "--output-watch-events",
             "-o", "json"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.ready: dict[str, bool] = {}
        self.lowest: int | None = None
        self.events = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        decoder = json.JSONDecoder()
        buffer = ""
        for line in self.process.stdout:
            buffer += line
            try:
                event, _ = decoder.raw_decode(buffer.strip())
            except json.JSONDecodeError:
                continue
            buffer = ""
            pod = event["object"]
            name = pod["metadata"]["name"]
            self.ready[name] = event["type"] != "DELETED" and not pod["metadata"].get(
                "deletionTimestamp"
            ) and any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in pod.get("status", {}).get("conditions", [])
            )  # fmt: skip
            self.events += 1
            if self.lowest is not None:
                self.lowest = min(self.lowest, sum(self.ready.values()))

    def arm(self) -> None:
        """Starts counting, once the watch's initial list has arrived."""
        self.lowest = sum(self.ready.values())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.thread.join(timeout=10)


def test_a_rolling_update_never_drops_ready_pods_below_the_desired_count(
    kube: Kube, release: list[Manifest]
) -> None:
    deployment = find(release, "Deployment")
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    want = find(release, "HorizontalPodAutoscaler")["spec"]["minReplicas"]
    wait_until(lambda: len(ready_pods(kube, NAMESPACE)) == want, 120, f"{want} Ready pods")
    before = {p["metadata"]["name"] for p in ready_pods(kube, NAMESPACE)}
    watch = ReadyWatch(kube)
    try:
        wait_until(lambda: sum(watch.ready.values()) == want, 30, "the watch's initial list")
        watch.arm()
        kube.run("-n", NAMESPACE, "rollout", "restart", f"deployment/{RELEASE}")
        kube.run("-n", NAMESPACE, "rollout", "status", f"deployment/{RELEASE}", "--timeout", "300s",
                 timeout=320)  # fmt: skip
        wait_until(lambda: not before & {n for n, ready in watch.ready.items() if ready}, 120,
                   "every old pod replaced")  # fmt: skip
    finally:
        watch.stop()
    assert watch.lowest is not None
    assert watch.lowest >= want, f"Ready pods fell to {watch.lowest} of {want} during the rollout"
    # The rollout really replaced every pod (the watch saw the whole of it).
    assert not before & {p["metadata"]["name"] for p in ready_pods(kube, NAMESPACE)}
