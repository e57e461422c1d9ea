"""The Markdown report of one run (plus results.json with every number)."""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path
from typing import Any

from tools.benchmark import capacity
from tools.benchmark.servers import LABELS, SERVERS
from tools.benchmark.targets import (
    MIN_VS_FLOOR,
    Target,
    cpu_us_per_request,
    evaluate,
    median,
    ratios,
    spread,
)


def _fmt(t: Target) -> str:
    if t.unit == "x":
        return f"{t.measured:.2f}x"
    if t.unit == "ms":
        return f"{t.measured:.1f} ms"
    if t.unit == "MiB":
        return f"{t.measured:.1f} MiB"
    return f"{t.measured:g}"


def _limit(t: Target) -> str:
    sign = ">=" if t.at_least else "<="
    unit = "x" if t.unit == "x" else f" {t.unit}" if t.unit else ""
    return f"{sign} {t.limit:g}{unit}"


def render(results: dict[str, Any], charts: list[Path], out: Path) -> str:
    env, plan = results["environment"], results["plan"]
    lines = [
        "# kv benchmark report",
        "",
        f"Written by `tools/bench` ({plan['name']} plan) on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(results['started']))}; "
        f"the run took {results['seconds']:.0f} s. Every number is in `results.json`.",
        "",
        f"Machine: {env['cores']} cores ({env['cpu']}), shared by the servers, Redis and wrk; "
        f"load average at start {' '.join(env['load_average_at_start'])}. "
        f"Python {env['python']}, "
        + ", ".join(f"{k} {v}" for k, v in env["packages"].items())
        + f"; {env['redis_server']}; {env['wrk']}.",
        "",
        "Servers:",
        "",
    ]
    for name in plan["servers"]:
        flags = " ".join(results["flags"].get(name, []))
        run_as = f"; run with `{flags}`" if flags else ""
        lines.append(f"- **{name}**: {LABELS[name]}, {results['workers'][name]} workers{run_as}")
    lines += [
        "",
        f"Load: wrk, {plan['runs']} interleaved runs of {plan['duration_s']} s per endpoint, server and "
        f"connection count ({', '.join(map(str, plan['connections']))}); tables show medians of runs. "
        "Writes spread over 10,000 keys; every DELETE removes a different seeded key.",
        "",
        "## The service against its baselines",
        "",
        "Ratios of medians from this run. Each is a speed: req/s is kv / baseline, a latency or "
        "a CPU cost is baseline / kv, so above 1 the service is better in every column. "
        f"Target: kv/floor >= {MIN_VS_FLOOR:g} everywhere.",
        "",
        "| column | kv | upstream | floor | kv/upstream | kv/floor | |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in ratios(results):
        unit = " ms" if r.column.endswith(("p50", "p99", "keys")) else ""
        cells = [
            f"{v:,.1f}{unit}" if v is not None else "n/a" for v in (r.service, r.upstream, r.floor)
        ]
        vs = [f"{v:.2f}" if v is not None else "n/a" for v in (r.vs_upstream, r.vs_floor)]
        verdict = "" if r.vs_floor is None else "pass" if r.vs_floor >= MIN_VS_FLOOR else "**MISS**"
        lines.append(f"| {r.column} | {' | '.join(cells)} | {' | '.join(vs)} | {verdict} |")
    lines += [
        "",
        "## Targets",
        "",
        "| target | measured | target | ratio | |",
        "|---|---:|---:|---:|---|",
    ]
    for t in evaluate(results):
        ratio = f"{t.ratio:.2f}" if t.limit else "n/a"
        verdict = "pass" if t.passed else "**MISS**"
        lines.append(f"| {t.name} | {_fmt(t)} | {_limit(t)} | {ratio} | {verdict} |")
    lines += ["", "## Throughput and latency", ""]
    lines += [
        "| endpoint | conns | server | req/s | p50 ms | p99 ms | non-2xx | req/s range | server CPU µs/req |",
        "|---|---:|---|---:|---:|---:|---:|---|---:|",
    ]
    load = results["load"]
    for endpoint in dict.fromkeys(r["endpoint"] for r in load):
        for c in sorted({r["connections"] for r in load}):
            for server in SERVERS:
                group = [
                    r
                    for r in load
                    if (r["server"], r["endpoint"], r["connections"]) == (server, endpoint, c)
                ]
                if not group:
                    continue
                rps = [r["rps"] for r in group]
                cpu = cpu_us_per_request(load, server, endpoint, c) or 0.0
                lines.append(
                    f"| {endpoint} | {c} | {server} | {median(load, server, endpoint, c, 'rps'):,.0f} "
                    f"| {median(load, server, endpoint, c, 'p50_ms'):.1f} "
                    f"| {median(load, server, endpoint, c, 'p99_ms'):.1f} "
                    f"| {sum(r['non_2xx'] for r in group)} | {min(rps):,.0f} to {max(rps):,.0f} | {cpu:,.0f} |"
                )
    lines.append("")
    for chart in charts:
        lines += [f"![{chart.stem}]({chart.relative_to(out)})", ""]
    lines += [
        "## Load spread over gunicorn workers",
        "",
        "Requests served per worker in every run, from per-worker counters "
        "(`gunicorn_bench_conf.py`); the fair share is 1 / workers.",
        "",
        "| server | workers | runs | runs with an idle worker | smallest share in any run | |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for s in spread(results):
        lines.append(
            f"| {s.server} | {s.workers} | {s.runs} | {s.idle_worker_runs} | {s.min_share:.0%} "
            f"| {'every worker carried load' if s.passed else '**a worker sat idle**'} |"
        )
    if results["lists"]:
        lines += [
            "",
            "## GET /list",
            "",
            "One client per server, one connection each, time to the last byte; requests go to the "
            "servers in turn (one each per round); the first request is a warm-up. "
            "Peak growth is the largest worker's VmHWM over the requests minus its RSS before them.",
            "",
            "| server | keys | median ms | requests | body MB | keys returned | peak growth MiB |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for lr in sorted(results["lists"], key=lambda r: (r["server"], r["keys"])):
            lines.append(
                f"| {lr['server']} | {lr['keys']:,} | {statistics.median(lr['timings_ms']):,.1f} "
                f"| {len(lr['timings_ms'])} | {lr['body_bytes'] / 1e6:.2f} | {lr['keys_returned']:,} "
                f"| {lr['peak_growth_kib'] / 1024:.1f} |"
            )
    lines += [
        "",
        "## Memory per worker",
        "",
        "| server | idle RSS MiB (after warm-up) | RSS MiB after load | threads after load |",
        "|---|---|---|---|",
    ]
    for m in results["memory"]:
        idle = ", ".join(f"{v / 1024:.1f}" for v in m["idle_rss_kib"].values())
        loaded = ", ".join(f"{v / 1024:.1f}" for v in m["loaded_rss_kib"].values())
        threads = ", ".join(str(v) for v in m["threads"].values())
        lines.append(f"| {m['server']} | {idle} | {loaded} | {threads} |")
    measured = capacity.measured(results)
    if measured:
        inputs, committed, _ = capacity.load()
        this_run = capacity.plan(dataclasses.replace(
            inputs,
            per_core_rps=measured["per_core_rps"],
            redis_commands_per_request=measured["redis_commands_per_request"],
            redis_cpu_us_per_command=measured["redis_cpu_us_per_command"] or inputs.redis_cpu_us_per_command,
        ))  # fmt: skip
        lines += [
            "",
            "## Capacity inputs from this run",
            "",
            "Requests per CPU-second of the service's workers: "
            + ", ".join(f"{k} {v:,.0f}" for k, v in measured["per_core_rps_by_call"].items())
            + f". Lowest: **{measured['per_core_rps']:,.0f}** (committed plan: {inputs.per_core_rps:,.0f}). "
            f"Redis commands per request: {measured['redis_commands_per_request']}; Redis CPU per command: "
            f"{measured['redis_cpu_us_per_command']} µs.",
            "",
            "| | committed plan (capacity.json) | this run's numbers |",
            "|---|---:|---:|",
        ]
        for field in dataclasses.fields(committed):
            lines.append(
                f"| {field.name} | {getattr(committed, field.name)} | {getattr(this_run, field.name)} |"
            )
    lines.append("")
    return "\n".join(lines)


def write(results: dict[str, Any], charts: list[Path], out: Path) -> Path:
    path = out / "report.md"
    path.write_text(render(results, charts, out))
    return path
