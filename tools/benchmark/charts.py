"""PNG charts of one run: throughput and latency per endpoint and server, and
/list time and memory against key count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt

from tools.benchmark.servers import SERVERS
from tools.benchmark.targets import median

COLORS = {"service": "#1b6ca8", "upstream": "#d9534f", "floor": "#8fbc8f"}


def _servers(results: dict[str, Any]) -> list[str]:
    present = {r["server"] for r in results["load"]} | {r["server"] for r in results["lists"]}
    return [s for s in SERVERS if s in present]


def _bars(
    results: dict[str, Any], key: str, title: str, ylabel: str, path: Path, log: bool = False
) -> None:
    load = results["load"]
    endpoints = list(dict.fromkeys(r["endpoint"] for r in load))
    connections = sorted({r["connections"] for r in load})
    servers = _servers(results)
    fig, axes = plt.subplots(
        1, len(connections), figsize=(5.5 * len(connections), 4.2), squeeze=False
    )
    width = 0.8 / max(1, len(servers))
    for ax, c in zip(axes[0], connections, strict=True):
        for i, server in enumerate(servers):
            xs, ys = [], []
            for j, endpoint in enumerate(endpoints):
                value = median(load, server, endpoint, c, key)
                if value is not None:
                    xs.append(j + (i - (len(servers) - 1) / 2) * width)
                    ys.append(value)
            bars = ax.bar(xs, ys, width, label=server, color=COLORS.get(server))
            ax.bar_label(
                bars, fmt="%.0f" if ys and max(ys) >= 100 else "%.1f", fontsize=7, padding=1
            )
        ax.set_xticks(range(len(endpoints)), endpoints)
        ax.set_title(f"{c} connections")
        ax.set_ylabel(ylabel)
        if log:
            ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _list(results: dict[str, Any], path: Path) -> None:
    lists = results["lists"]
    fig, (time_ax, mem_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for server in _servers(results):
        runs = sorted((r for r in lists if r["server"] == server), key=lambda r: r["keys"])
        if not runs:
            continue
        keys = [r["keys"] for r in runs]
        medians = [sorted(r["timings_ms"])[len(r["timings_ms"]) // 2] for r in runs]
        time_ax.plot(keys, medians, marker="o", label=server, color=COLORS.get(server))
        mem_ax.plot(keys, [r["peak_growth_kib"] / 1024 for r in runs], marker="o", label=server,
                    color=COLORS.get(server))  # fmt: skip
    time_ax.set(xscale="log", yscale="log", xlabel="keys", ylabel="ms (median, one client)",
                title="GET /list: time to last byte")  # fmt: skip
    mem_ax.set(xscale="log", xlabel="keys", ylabel="MiB", title="GET /list: worker peak RSS growth")
    for ax in (time_ax, mem_ax):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(results: dict[str, Any], out: Path) -> list[Path]:
    """Writes the charts into out and returns their paths."""
    paths = []
    if results["load"]:
        paths.append(out / "throughput.png")
        _bars(results, "rps", "Requests per second (median of runs)", "requests/s", paths[-1])
        paths.append(out / "latency-p50.png")
        _bars(results, "p50_ms", "p50 latency (median of runs)", "ms", paths[-1], log=True)
        paths.append(out / "latency-p99.png")
        _bars(results, "p99_ms", "p99 latency (median of runs)", "ms", paths[-1], log=True)
    if results["lists"]:
        paths.append(out / "list.png")
        _list(results, paths[-1])
    return paths
