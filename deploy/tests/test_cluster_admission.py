"""The rendered chart, defaults and prod, applied server-side to a real
Kubernetes 1.34 API server with the real CRDs: every object is admitted (the
OpenAPI schemas and the CRDs' CEL rules pass), and the pods are admitted in a
namespace that enforces the restricted Pod Security Standard, scheduled and
Ready. Negative controls: a CEL rule and Pod Security really refuse."""

from __future__ import annotations

import copy
import json

import pytest

from deploy.tests.kube import Kube, ready_pods, render_into, wait_until
from deploy.tests.manifests import (
    PROD_VALUE_FILES,
    TEST_DIGEST,
    Manifest,
    find,
    load_all,
)

RENDERS = {
    "kv-defaults": [],
    "kv-prod": [
        *(arg for path in PROD_VALUE_FILES for arg in ("--values", str(path))),
        "--set", f"image.digest={TEST_DIGEST}",
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def applied(kube: Kube, helm: str) -> dict[str, list[Manifest]]:
    """Each render applied in its own restricted namespace."""
    out = {}
    for namespace, args in RENDERS.items():
        kube.restricted_namespace(namespace)
        text = render_into(helm, namespace, *args)
        result = kube.apply(text)
        assert "Warning" not in result.stderr, result.stderr
        out[namespace] = load_all(text)
    return out


@pytest.mark.parametrize("namespace", RENDERS)
def test_every_rendered_object_is_admitted_and_stored(
    kube: Kube, applied: dict[str, list[Manifest]], namespace: str
) -> None:
    manifests = applied[namespace]
    listed = json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests})
    stored = kube.json("get", "-f", "-", stdin=listed)
    names = {(o["kind"], o["metadata"]["name"]) for o in stored["items"]}
    assert names == {(m["kind"], m["metadata"]["name"]) for m in manifests}


@pytest.mark.parametrize("namespace", RENDERS)
def test_the_pods_are_admitted_in_a_restricted_namespace_scheduled_and_ready(
    kube: Kube, applied: dict[str, list[Manifest]], namespace: str
) -> None:
    hpa = find(applied[namespace], "HorizontalPodAutoscaler")
    want = hpa["spec"]["minReplicas"]
    # The HPA raises the Deployment to its floor; each pod passes Pod
    # Security admission, the scheduler places it on a kwok node, and kwok
    # reports it Ready.
    wait_until(lambda: len(ready_pods(kube, namespace)) == want, 180, f"{want} Ready pods")
    events = kube.json("-n", namespace, "get", "events", "--field-selector", "reason=FailedCreate")
    assert not events["items"], [e["message"] for e in events["items"]]


def _pod_from_template(manifests: list[Manifest], name: str) -> Manifest:
    template = copy.deepcopy(find(manifests, "Deployment")["spec"]["template"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {**template["metadata"], "name": name},
            "spec": template["spec"]}  # fmt: skip


def test_pod_security_refuses_the_chart_pod_without_seccomp(
    kube: Kube, applied: dict[str, list[Manifest]]
) -> None:
    pod = _pod_from_template(applied["kv-defaults"], "no-seccomp")
    accepted = kube.run("-n", "kv-defaults", "create", "--dry-run=server", "-f", "-",
                        stdin=json.dumps(pod), check=False)  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr
    del pod["spec"]["securityContext"]["seccompProfile"]
    refused = kube.run("-n", "kv-defaults", "create", "-f", "-", stdin=json.dumps(pod), check=False)
    assert refused.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in refused.stderr, refused.stderr
    assert "seccompProfile" in refused.stderr, refused.stderr


@pytest.mark.parametrize(
    ("kind", "break_it", "rule_message"),
    [
        (
            "HTTPRoute",
            lambda spec: spec["rules"][0]["matches"][0]["path"].update(value="write"),
            "value must be an absolute path and start with '/'",
        ),
        (
            "HealthCheckPolicy",
            lambda spec: spec["default"]["config"]["httpHealthCheck"].pop("port"),
            "for portSpecification being USE_FIXED_PORT, port must be set",
        ),
    ],
)
def test_the_crds_cel_rules_refuse_a_broken_object(
    kube: Kube, applied: dict[str, list[Manifest]], kind: str, break_it: object, rule_message: str
) -> None:
    broken = copy.deepcopy(find(applied["kv-defaults"], kind))
    broken["metadata"]["name"] = "broken"
    break_it(broken["spec"])  # type: ignore[operator]
    result = kube.apply(json.dumps(broken), check=False)
    assert result.returncode != 0, f"the API server admitted a broken {kind}"
    assert rule_message in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ("enableServiceLinks: false", "enableServiceLink: false"),
        ("drainingTimeoutSec: 30", 'drainingTimeoutSec: "30"'),
        ("provider: gke", "provider: gke\n  unknownField: 1"),
    ],
)
def test_the_api_server_refuses_an_unknown_field_and_a_wrong_type(
    kube: Kube, helm: str, applied: dict[str, list[Manifest]], good: str, bad: str
) -> None:
    text = render_into(helm, "kv-prod", *RENDERS["kv-prod"])
    assert good in text
    result = kube.apply(text.replace(good, bad, 1), "--dry-run=server", check=False)
    assert result.returncode != 0, f"the API server admitted {bad!r}"
