"""Where the service's CPU goes, against the floor: py-spy samples every
worker of both under the same wrk load.

`tools/bench --profile` writes profile.md: for each endpoint, worker CPU per
request split by package for the service and the floor side by side (what the
service's features cost), then each server's functions with the largest share
of samples (inclusive: the function and what it calls; self: its own code).
Sampling is non-blocking, so a profiled run is only slightly slower.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tools.benchmark import measure, targets, wrk
from tools.benchmark.processes import Processes
from tools.benchmark.servers import Options, Server, start

TOP = 25
PROFILED = ("service", "floor")
# /list is profiled at the bench's headline key count, by one client as the
# bench times it; the other endpoints at the bench's smaller connection count.
LIST_KEYS = targets.LIST_RATIO_KEYS
CONNECTIONS = {wrk.GET_ROOT: 32, wrk.POST_WRITE: 32, wrk.GET_LIST: 1}


def _py_spy() -> str:
    path = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(path).exists():
        raise RuntimeError(
            "py-spy is missing: run tools/bench (it installs tools/benchmark/requirements.lock)"
        )
    return path


def summarize(collapsed: list[Path]) -> tuple[int, Counter[str], Counter[str]]:
    """Total samples, and samples by function: inclusive and self."""
    total, inclusive, own = 0, Counter[str](), Counter[str]()
    for path in collapsed:
        for line in path.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            # Non-blocking sampling can read a frame while it changes: torn
            # names come out as binary noise (even line breaks, which leave a
            # line without its count), not as a place in the code.
            if not (stack and stack.isascii() and stack.isprintable() and count_text.isdigit()):
                continue
            count = int(count_text)
            frames = [_short(f) for f in stack.split(";")]
            # Thread names ("process 123:...") lead some stacks; frames follow.
            frames = [f for f in frames if not f.startswith(("process ", "thread "))]
            if not frames:
                continue
            total += count
            own[frames[-1]] += count
            for frame in set(frames):
                inclusive[frame] += count
    return total, inclusive, own


def _short(frame: str) -> str:
    """'handle (gunicorn/workers/gthread.py:123)' -> 'handle (gunicorn/workers/gthread.py)'."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", "services/kv/", "tools/benchmark/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})" if path else name


def package(frame: str) -> str:
    """The top-level module a shortened frame's code lives in: 'kv', 'flask', 'threading', ..."""
    _, _, where = frame.partition(" (")
    top = where.rstrip(")").split("/", 1)[0]
    return top.removesuffix(".py") or "(unknown)"


@dataclass(frozen=True)
class Profile:
    """One server under one endpoint's load, sampled."""

    load: measure.LoadRun
    total: int  # GIL samples
    inclusive: Counter[str]
    own: Counter[str]

    @property
    def cpu_us_per_request(self) -> float:
        return 1e6 * sum(self.load.worker_cpu_s.values()) / max(1, self.load.requests)

    def us_by_package(self) -> Counter[str]:
        """Worker CPU per request split by where the GIL samples' own time was:
        an estimate that charges CPU outside the GIL in proportion."""
        by_package = Counter[str]()
        for frame, count in self.own.items():
            by_package[package(frame)] += count
        return Counter({k: v / max(1, self.total) * self.cpu_us_per_request
                        for k, v in by_package.items()})  # fmt: skip


def _profile(
    procs: Processes, server: Server, endpoint: wrk.Endpoint, workdir: Path, duration_s: int,
    connections: int,
) -> Profile:  # fmt: skip
    py_spy = _py_spy()
    measure.warm_up(server, endpoint, connections, 1)
    files, spies = [], []
    # GET / and GET /list share wrk's mode: the samples are named by endpoint.
    slug = re.sub(r"[^a-z0-9]+", "-", endpoint.name.lower()).strip("-")
    for pid in server.workers():
        files.append(workdir / f"profile-{server.name}-{slug}-{pid}.txt")
        spies.append(procs.start(
            f"py-spy-{pid}",
            [py_spy, "record", "--nonblocking", "--gil", "--rate", "250", "--format", "raw",
             "--duration", str(duration_s), "--pid", str(pid), "--output", str(files[-1])],
            env={"PATH": "/usr/bin:/bin"},
        ))  # fmt: skip
    result = measure.load(server, endpoint, connections, duration_s, 1)
    for spy in spies:
        spy.wait(duration_s + 30)
        procs.stop(spy)
    total, inclusive, own = summarize([f for f in files if f.exists()])
    return Profile(result, total, inclusive, own)


def run(workdir: Path, out: Path, options: Options, duration_s: int = 8) -> Path:
    _py_spy()
    lines = [
        "# CPU profile: the service against the floor",
        "",
        f"py-spy (non-blocking, 250 Hz) on every gunicorn worker of the service and of the floor "
        f"(tools/benchmark/apps/floor.py, on the service's gunicorn shape) during {duration_s} s "
        f"of wrk per endpoint: `GET /` and `POST /write` at {CONNECTIONS[wrk.GET_ROOT]} "
        f"connections, `GET /list` of {LIST_KEYS:,} keys by one connection. Only threads holding the GIL are "
        "sampled (`--gil`): that is where Python spends CPU; time blocked in socket calls or "
        "waiting for the GIL is left out. µs per request by package is worker CPU per request "
        "times the package's share of self samples: an estimate, but one measured the same way "
        "on both servers.",
    ]
    with Processes(workdir / "logs").running() as procs:
        servers = start(procs, PROFILED, workdir, options)
        for endpoint, connections in CONNECTIONS.items():
            if endpoint == wrk.GET_LIST:
                for server in servers.values():  # only these keys, as the bench lists them
                    measure.flush(server)
                    measure.seed(server, "list-", LIST_KEYS)
            profiles = {name: _profile(procs, server, endpoint, workdir, duration_s, connections)
                        for name, server in servers.items()}  # fmt: skip
            service, floor = profiles["service"], profiles["floor"]
            lines += [
                "",
                f"## {endpoint.name}",
                "",
                "| | service | floor |",
                "|---|---:|---:|",
                f"| req/s while profiled | {service.load.rps:,.0f} | {floor.load.rps:,.0f} |",
                f"| worker CPU µs per request | {service.cpu_us_per_request:,.0f} "
                f"| {floor.cpu_us_per_request:,.0f} |",
                f"| GIL samples | {service.total:,} | {floor.total:,} |",
                "",
                "Worker CPU µs per request by package (self samples):",
                "",
                "| package | service | floor | service - floor |",
                "|---|---:|---:|---:|",
            ]
            ours, theirs = service.us_by_package(), floor.us_by_package()
            for name in sorted(
                ours.keys() | theirs.keys(), key=lambda k: -abs(ours[k] - theirs[k])
            ):
                if max(ours[name], theirs[name]) >= 1:
                    lines.append(f"| `{name}` | {ours[name]:,.0f} | {theirs[name]:,.0f} "
                                 f"| {ours[name] - theirs[name]:+,.0f} |")  # fmt: skip
            lines += [
                "",
                "The service's own functions (`kv`), worker CPU µs per request including what "
                "they call:",
                "",
                "| function | inclusive µs | self µs |",
                "|---|---:|---:|",
            ]
            per_sample = service.cpu_us_per_request / max(1, service.total)
            for frame, count in service.inclusive.most_common():
                if package(frame) == "kv" and count * per_sample >= 2:
                    lines.append(f"| `{frame}` | {count * per_sample:,.0f} "
                                 f"| {service.own[frame] * per_sample:,.0f} |")  # fmt: skip
            for name, prof in profiles.items():
                lines += [
                    "",
                    f"### {endpoint.name}, {name}: {prof.total:,} samples",
                    "",
                    "| function | inclusive | self |",
                    "|---|---:|---:|",
                ]
                for frame, count in prof.inclusive.most_common(TOP):
                    lines.append(f"| `{frame}` | {count / prof.total:.1%} "
                                 f"| {prof.own[frame] / prof.total:.1%} |")  # fmt: skip
    path = out / "profile.md"
    path.write_text("\n".join(lines) + "\n")
    return path
