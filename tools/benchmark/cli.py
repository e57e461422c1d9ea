"""tools/bench: the kv service under wrk against the upstream app (gunicorn -w 4)
and the floor of its stack (on the service's gunicorn shape), in the same run;
writes a Markdown report with charts."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from tools.benchmark import charts, profile, report, runner
from tools.benchmark.servers import CONFIG_NAME, SERVICE_DIR, Options
from tools.benchmark.targets import evaluate, ratios, spread

DEFAULT_OUT = Path(__file__).with_name("report")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/bench", description=__doc__)
    parser.add_argument("--plan", choices=sorted(runner.PLANS), default="full",
                        help="full: the committed report (about 6 minutes); tiny: seconds, proves the harness")  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="report folder (default: %(default)s)"
    )
    parser.add_argument("--service-dir", type=Path, default=SERVICE_DIR,
                        help="folder holding the kv package to measure, e.g. another checkout's services/kv")  # fmt: skip
    parser.add_argument("--gunicorn-config", type=Path,
                        help=f"the service's gunicorn config (default: {CONFIG_NAME} in the service dir); "
                             "the floor takes its shape from it")  # fmt: skip
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the service (e.g. GUNICORN_THREADS=8; the floor "
                             "follows its shape); repeatable")  # fmt: skip
    parser.add_argument("--profile", action="store_true",
                        help="instead of the benchmark: py-spy profile of the service and the floor, written to profile.md")  # fmt: skip
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep server logs and print where they are"
    )
    args = parser.parse_args(argv)

    plan = runner.PLANS[args.plan]
    pairs = [item.partition("=") for item in args.env]
    if any(not sep or not name for name, sep, _ in pairs):
        parser.error("--env takes NAME=VALUE")
    options = Options(
        service_dir=args.service_dir.resolve(),
        config=args.gunicorn_config.resolve() if args.gunicorn_config else None,
        env=tuple((name, value) for name, _, value in pairs),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="kv-bench-"))
    if args.profile:
        print(f"profile: {profile.run(workdir, args.out, options)}")
        shutil.rmtree(workdir, ignore_errors=True)
        return 0
    try:
        results = runner.run(plan, workdir, options).to_json()
    except BaseException:
        print(f"bench failed; server logs kept in {workdir / 'logs'}", file=sys.stderr)
        raise
    else:
        if args.keep_logs:
            print(f"server logs: {workdir / 'logs'}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["environment"]["load_average_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    paths = charts.write(results, args.out)
    path = report.write(results, paths, args.out)

    for r in ratios(results):
        cells = [f"{v:.2f}" if v is not None else "n/a" for v in (r.vs_upstream, r.vs_floor)]
        print(f"{r.column}: kv/upstream {cells[0]}, kv/floor {cells[1]}")
    targets = evaluate(results)
    for t in targets:
        print(
            f"{'pass' if t.passed else 'MISS'}  {t.name}: {t.measured:.2f} {t.unit} (limit {t.limit:g})"
        )
    for s in spread(results):
        print(f"{'pass' if s.passed else 'MISS'}  {s.server}: every worker carried load "
              f"(smallest share {s.min_share:.0%} of {s.workers} workers)")  # fmt: skip
    print(f"report: {path} ({results['seconds']:.0f} s)")
    return 0
