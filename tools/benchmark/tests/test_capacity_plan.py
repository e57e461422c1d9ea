"""The capacity plan holds together: its numbers follow from the measured
inputs, meet the goal (10,000 req/s with a zone lost at <= 70 % CPU), rest on
throughput a committed bench run actually measured, and are the numbers the
prod chart values and the gunicorn defaults use, and the node pools of
infra/envs/prod hold (its Redis size is generated from the plan)."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.benchmark import capacity
from tools.benchmark.servers import Options, service_shape
from tools.generation.generate import committed_platform
from tools.testkit.tooling import REPO_ROOT

CHART_DEFAULTS = REPO_ROOT / "deploy" / "charts" / "kv" / "values.yaml"
PROD_VALUES = REPO_ROOT / "deploy" / "environments" / "prod" / "values.yaml"

INPUTS, PLAN, MEASURED = capacity.load()


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        out[key] = (
            merged(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


def prod_values() -> dict[str, Any]:
    for path in (CHART_DEFAULTS, PROD_VALUES):
        if not path.is_file():
            pytest.fail(
                f"{path.relative_to(REPO_ROOT)} is missing (the deploy area writes it)",
                pytrace=False,
            )
    return merged(
        yaml.safe_load(CHART_DEFAULTS.read_text()), yaml.safe_load(PROD_VALUES.read_text()) or {}
    )


def cores(quantity: str | int | float) -> float:
    text = str(quantity)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


def test_plan_follows_from_its_inputs() -> None:
    assert capacity.plan(INPUTS) == PLAN


def test_min_replicas_carry_the_peak_with_a_zone_lost_under_the_cpu_ceiling() -> None:
    survivors = PLAN.hpa_min_replicas * (INPUTS.zones - 1) / INPUTS.zones
    assert PLAN.hpa_min_replicas % INPUTS.zones == 0, "replicas spread evenly over the zones"
    assert INPUTS.peak_rps / (survivors * PLAN.pod_rps_at_request) <= INPUTS.max_cpu_after_zone_loss
    # The HPA's steady state leaves the headroom too: a zone's share landing on
    # the others must not push them past the ceiling before it scales out.
    assert (
        PLAN.hpa_target_cpu_percent / 100 * INPUTS.zones / (INPUTS.zones - 1)
        <= INPUTS.max_cpu_after_zone_loss
    )
    assert PLAN.hpa_max_replicas >= PLAN.hpa_min_replicas


def test_redis_has_headroom_for_the_peak() -> None:
    assert (
        PLAN.redis_shard_count * PLAN.redis_shard_commands_per_s >= PLAN.redis_peak_commands_per_s
    )
    assert PLAN.redis_memory_utilisation <= 0.5
    assert PLAN.redis_shard_count >= INPUTS.min_redis_shards


def test_plan_assumes_no_more_throughput_than_its_committed_run_measured() -> None:
    measured = capacity.measured(json.loads(capacity.CAPACITY_RESULTS.read_text()))
    assert measured is not None, "the plan's bench run has no service runs"
    assert INPUTS.per_core_rps <= measured["per_core_rps"]
    assert INPUTS.redis_commands_per_request >= measured["redis_commands_per_request"]
    assert MEASURED["per_core_rps"] == measured["per_core_rps"], "capacity.json cites another run"


def test_prod_chart_values_are_the_plans() -> None:
    values = prod_values()
    assert cores(values["resources"]["requests"]["cpu"]) == INPUTS.cpu_request
    assert values["gunicorn"]["workers"] == INPUTS.gunicorn_workers
    assert values["gunicorn"]["threads"] == INPUTS.gunicorn_threads
    assert values["autoscaling"]["minReplicas"] == PLAN.hpa_min_replicas
    assert values["autoscaling"]["maxReplicas"] == PLAN.hpa_max_replicas
    assert values["autoscaling"]["targetCPUUtilizationPercentage"] == PLAN.hpa_target_cpu_percent


def test_gunicorn_defaults_are_the_measured_shape(tmp_path: Path) -> None:
    # As gunicorn reads services/kv/gunicorn.conf.py with no overrides.
    shape = service_shape(tmp_path, Options())
    assert shape["workers"] == INPUTS.gunicorn_workers
    assert shape["threads"] == INPUTS.gunicorn_threads


def test_capacity_doc_states_the_recorded_plan() -> None:
    doc = (Path(capacity.__file__).with_name("CAPACITY.md")).read_text()
    table = dict(re.findall(r"^\| `(\w+)` \| ([^|]+?) \|$", doc, re.MULTILINE))
    assert table == {k: str(v) for k, v in dataclasses.asdict(PLAN).items()}


def test_node_pools_hold_the_hpa_range_in_every_zone() -> None:
    pools = committed_platform()["capacity"]  # infra/envs/prod's node pools
    vcpus = re.fullmatch(r"[a-z0-9]+-[a-z]+-(\d+)", pools["machine_type"])
    assert vcpus, f"machine type {pools['machine_type']} names no vCPU count"
    # About half a vCPU per node goes to GKE's reservation and system pods.
    pods_per_node = int((int(vcpus[1]) - 0.5) // INPUTS.cpu_request)
    assert pools["min_nodes_per_zone"] * pods_per_node >= math.ceil(
        PLAN.hpa_min_replicas / INPUTS.zones
    )
    assert pools["max_nodes_per_zone"] * pods_per_node >= math.ceil(
        PLAN.hpa_max_replicas / INPUTS.zones
    )


def test_replanning_from_the_kept_run_reproduces_the_committed_plan(tmp_path: Path) -> None:
    plan_file, kept = tmp_path / "capacity.json", tmp_path / "capacity-results.json"
    plan_file.write_text(capacity.CAPACITY_FILE.read_text())
    assert capacity.update(capacity.CAPACITY_RESULTS, plan_file, kept) == PLAN
    assert plan_file.read_text() == capacity.CAPACITY_FILE.read_text()
    assert kept.read_text() == capacity.CAPACITY_RESULTS.read_text()
