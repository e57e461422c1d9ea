"""Where the service's CPU goes: py-spy samples every worker under wrk load.

`tools/bench --profile` writes profile.md: for each endpoint, the functions
with the largest share of samples (inclusive: the function and what it
calls; self: the function's own code). Sampling is non-blocking, so the
profiled run is only slightly slower than an unprofiled one.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path

from tools.benchmark import measure, wrk
from tools.benchmark.processes import Supervisor
from tools.benchmark.servers import Options, start_service

TOP = 25


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
            if not stack:
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
    for marker in ("site-packages/", "services/kv/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})" if path else name


def run(
    workdir: Path, out: Path, options: Options, duration_s: int = 8, connections: int = 32
) -> Path:
    py_spy = _py_spy()
    lines = [
        "# Service CPU profile",
        "",
        f"py-spy (non-blocking, 250 Hz) on every gunicorn worker during {duration_s} s of wrk at "
        f"{connections} connections per endpoint. Only threads holding the GIL are sampled (`--gil`): that is where Python spends CPU; "
        "time blocked in socket calls or waiting for the GIL is left out.",
    ]
    with Supervisor(workdir / "logs").running() as sup:
        server = start_service(sup, workdir, options)
        for endpoint in (wrk.GET_ROOT, wrk.POST_WRITE):
            measure.warm_up(server, endpoint, connections, 1)
            files = []
            spies = []
            for pid in server.workers():
                files.append(workdir / f"profile-{endpoint.mode}-{pid}.txt")
                spies.append(sup.start(
                    f"py-spy-{pid}",
                    [py_spy, "record", "--nonblocking", "--gil", "--rate", "250", "--format", "raw",
                     "--duration", str(duration_s), "--pid", str(pid), "--output", str(files[-1])],
                    env={"PATH": "/usr/bin:/bin"},
                ))  # fmt: skip
            result = measure.load(server, endpoint, connections, duration_s, 1)
            for spy in spies:
                spy.wait(duration_s + 30)
                sup.procs.remove(spy)
            total, inclusive, own = summarize([f for f in files if f.exists()])
            lines += [
                "",
                f"## {endpoint.name}: {result.rps:,.0f} req/s while profiled, {total:,} samples",
                "",
                "| function | inclusive | self |",
                "|---|---:|---:|",
            ]
            for frame, count in inclusive.most_common(TOP):
                lines.append(f"| `{frame}` | {count / total:.1%} | {own[frame] / total:.1%} |")
            lines += ["", "Largest self time:", ""]
            for frame, count in own.most_common(12):
                lines.append(f"- `{frame}`: {count / total:.1%}")
    path = out / "profile.md"
    path.write_text("\n".join(lines) + "\n")
    return path
