"""The capacity plan as arithmetic: measured throughput in, replica counts and
Redis size out. CAPACITY.md explains it; capacity.json records the inputs and
the outputs; the tests check that the outputs follow from the inputs and that
the chart's prod values and the Terraform tfvars use them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CAPACITY_FILE = Path(__file__).with_name("capacity.json")
# The bench run the committed plan was computed from, kept beside it: the
# report may be re-run on a busy machine without re-sizing production.
CAPACITY_RESULTS = Path(__file__).with_name("capacity-results.json")


@dataclass(frozen=True)
class Inputs:
    # Measured by tools/bench: requests per CPU-second of gunicorn workers, the
    # lowest over GET /, POST /write and DELETE /delete (the costliest call).
    per_core_rps: float
    # Redis commands one request puts on the busiest shard: a write is SET +
    # WAIT (KV_WRITE_MIN_REPLICAS=1 in prod), GET / pings every primary once;
    # so at most 2 whatever the shard count (the bench, standalone without
    # WAIT, measures about 1). Redis CPU per command is measured locally.
    redis_commands_per_request: float
    redis_cpu_us_per_command: float
    # Production differs from the bench machine in ways not measured here
    # (TLS and the cluster client to Redis, another CPU model): keep this
    # fraction of the measured throughput.
    derate: float
    cpu_request: float  # cores per pod (the chart's resources.requests.cpu)
    gunicorn_workers: int
    gunicorn_threads: int
    peak_rps: int  # what production must sustain
    zones: int
    max_cpu_after_zone_loss: float  # utilisation of the CPU request, one zone lost
    burst_factor: float  # maxReplicas covers peak_rps * burst_factor
    # Redis: a shard's primary may run at this fraction of one core at peak
    # (one core: the Redis command loop is single-threaded).
    redis_max_core_utilisation: float
    redis_tls_cost_factor: float  # CPU per command with TLS relative to without
    min_redis_shards: int
    redis_node_type: str
    redis_node_writable_gb: float
    dataset_gb: float  # assumed key space size the plan must hold


@dataclass(frozen=True)
class Plan:
    pod_rps_at_request: float
    pods_needed_after_zone_loss: int
    hpa_min_replicas: int
    hpa_max_replicas: int
    hpa_target_cpu_percent: int
    redis_peak_commands_per_s: float
    redis_shard_commands_per_s: float
    redis_shard_count: int
    redis_node_type: str
    redis_memory_utilisation: float


def _round_up(n: float, multiple: int) -> int:
    return multiple * math.ceil(round(n / multiple, 9))


def plan(i: Inputs) -> Plan:
    pod_rps = i.per_core_rps * i.derate * i.cpu_request
    surviving_zones = i.zones - 1
    # Pods left in the surviving zones must carry the peak at the CPU ceiling.
    needed = math.ceil(round(i.peak_rps / (pod_rps * i.max_cpu_after_zone_loss), 9))
    # Pods spread evenly over zones: the survivors are surviving_zones/zones of them.
    min_replicas = i.zones * math.ceil(needed / surviving_zones)
    max_needed = math.ceil(
        round(i.peak_rps * i.burst_factor / (pod_rps * i.max_cpu_after_zone_loss), 9)
    )
    max_replicas = i.zones * math.ceil(max_needed / surviving_zones)
    # Steady state must leave room for a zone's share of the traffic to land on
    # the others before the autoscaler reacts: target <= ceiling * survivors/zones,
    # rounded down to 5 %.
    target = 5 * math.floor(
        round(100 * i.max_cpu_after_zone_loss * surviving_zones / i.zones / 5, 9)
    )
    peak_commands = i.peak_rps * i.redis_commands_per_request
    shard_commands = (
        1e6 / (i.redis_cpu_us_per_command * i.redis_tls_cost_factor) * i.redis_max_core_utilisation
    )
    shards = max(
        i.min_redis_shards,
        math.ceil(peak_commands / shard_commands),
        math.ceil(i.dataset_gb / (i.redis_node_writable_gb * 0.5)),  # memory at most half full
    )
    return Plan(
        pod_rps_at_request=round(pod_rps, 1),
        pods_needed_after_zone_loss=needed,
        hpa_min_replicas=min_replicas,
        hpa_max_replicas=max_replicas,
        hpa_target_cpu_percent=target,
        redis_peak_commands_per_s=round(peak_commands),
        redis_shard_commands_per_s=round(shard_commands),
        redis_shard_count=shards,
        redis_node_type=i.redis_node_type,
        redis_memory_utilisation=round(i.dataset_gb / (shards * i.redis_node_writable_gb), 3),
    )


def measured(results: dict[str, Any]) -> dict[str, Any] | None:
    """The capacity plan's measured inputs, from the service's load runs."""
    runs = [r for r in results["load"] if r["server"] == "service" and r["requests"]]
    if not runs:
        return None
    per_core: dict[str, float] = {}
    commands: dict[str, float] = {}
    for key in sorted({(r["endpoint"], r["connections"]) for r in runs}):
        group = [r for r in runs if (r["endpoint"], r["connections"]) == key]
        worker_cpu = [sum(r["worker_cpu_s"].values()) for r in group]
        per_core[f"{key[0]} c={key[1]}"] = round(
            statistics.median(
                r["requests"] / cpu for r, cpu in zip(group, worker_cpu, strict=True) if cpu
            ),
            1,
        )
        commands[key[0]] = round(
            statistics.median(r["redis_commands"] / r["requests"] for r in group), 2
        )
    redis_us = [1e6 * r["redis_cpu_s"] / r["redis_commands"] for r in runs if r["redis_commands"]]
    return {
        "per_core_rps_by_call": per_core,
        "per_core_rps": min(per_core.values()),
        "redis_commands_per_request_by_call": commands,
        "redis_commands_per_request": max(commands.values()),
        "redis_cpu_us_per_command": round(statistics.median(redis_us), 2) if redis_us else None,
        "workers": results["workers"].get("service"),
    }


def load(path: Path = CAPACITY_FILE) -> tuple[Inputs, Plan, dict[str, Any]]:
    """capacity.json as (inputs, recorded plan, measurement provenance)."""
    data = json.loads(path.read_text())
    return Inputs(**data["inputs"]), Plan(**data["plan"]), data["measured"]


def to_json(inputs: Inputs, result: Plan, measured: dict[str, Any]) -> str:
    return (
        json.dumps(
            {"measured": measured, "inputs": asdict(inputs), "plan": asdict(result)}, indent=2
        )
        + "\n"
    )


def update(results_file: Path, path: Path = CAPACITY_FILE, kept: Path = CAPACITY_RESULTS) -> Plan:
    """Rewrites capacity.json from a bench run's results.json, keeping the
    assumptions, and keeps a copy of that run as capacity-results.json."""
    text = results_file.read_text()
    results = json.loads(text)
    found = measured(results)
    if found is None or found["redis_cpu_us_per_command"] is None:
        raise SystemExit(f"{results_file} has no service load runs to plan from")
    inputs, _, _ = load(path)
    inputs = dataclasses.replace(
        inputs,
        per_core_rps=found["per_core_rps"],
        redis_commands_per_request=max(
            inputs.redis_commands_per_request, found["redis_commands_per_request"]
        ),
        redis_cpu_us_per_command=found["redis_cpu_us_per_command"],
    )
    found["source"] = (
        f"tools/benchmark/{kept.name}, run of "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(results['started']))}"
    )
    result = plan(inputs)
    path.write_text(to_json(inputs, result, found))
    if kept.resolve() != results_file.resolve():
        kept.write_text(text)
    return result


if __name__ == "__main__":
    # python -m tools.benchmark.capacity tools/benchmark/report/results.json
    print(update(Path(sys.argv[1])))
