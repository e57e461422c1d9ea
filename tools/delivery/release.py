"""tools/release --local: rehearses the whole delivery flow on this machine.

Each step of .buildkite/pipeline.yml runs for real where it can, and against
a local stand-in where it needs the cloud:

  pipeline  buildkite-agent pipeline upload --dry-run       (real)
  test      tools/test services/kv                          (stand-in for bazel test //...)
  image     OCI layout of the app, reproducible digest      (stand-in for the Bazel image)
  render    tools/promote render                            (real; the Bazel target calls it)
  promote   tools/promote commit to a local bare repository (real git; stand-in for GitHub)
  rerun     the same promotion again: a no-op               (real)
  guard     the pipeline's `if` for the promote commit      (evaluated from pipeline.yml)
  rollback  git revert of the promote commit, pushed        (real git)

No step reaches the network. Everything is written under --workdir.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from tools.delivery import oci_layout
from tools.delivery.buildkite_conditions import evaluate
from tools.delivery.image_values import parse
from tools.delivery.promote import DEFAULT_VALUES_FILE

REPO_ROOT = Path(__file__).resolve().parents[2]
PIPELINE = REPO_ROOT / ".buildkite" / "pipeline.yml"
PROMOTE = REPO_ROOT / "tools" / "promote"
DELIVERY_STEPS = ("push", "promote")
_IDENTITY = {
    "GIT_AUTHOR_NAME": "kv release rehearsal",
    "GIT_AUTHOR_EMAIL": "release@localhost",
    "GIT_COMMITTER_NAME": "kv release rehearsal",
    "GIT_COMMITTER_EMAIL": "release@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


class Rehearsal:
    def __init__(self, workdir: Path, steps: int) -> None:
        self.workdir = workdir
        self.steps = steps
        self.done = 0
        self.env = {**os.environ, **_IDENTITY}

    def step(self, title: str) -> None:
        self.done += 1
        print(f"\n==> [{self.done}/{self.steps}] {title}", flush=True)

    def note(self, message: str) -> None:
        print(f"    {message}", flush=True)

    def run(
        self,
        *args: str | Path,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        quiet: bool = False,
    ) -> str:
        command = [str(arg) for arg in args]
        if not quiet:
            self.note("$ " + " ".join(command))
        proc = subprocess.run(
            command, cwd=cwd or REPO_ROOT, env=env or self.env, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        output = (proc.stdout + proc.stderr).strip()
        for line in [] if quiet and proc.returncode == 0 else output.splitlines():
            self.note("  " + line)
        if proc.returncode != 0:
            raise SystemExit(f"release: step failed ({proc.returncode}): {' '.join(command)}")
        return proc.stdout.strip()

    def git(self, *args: str, cwd: Path, quiet: bool = False) -> str:
        return self.run("git", *args, cwd=cwd, quiet=quiet)


def delivery_conditions() -> dict[str, str]:
    """The `if` of the push and promote steps, as written in pipeline.yml."""
    steps = yaml.safe_load(PIPELINE.read_text())["steps"]
    return {step["key"]: step["if"] for step in steps if step.get("key") in DELIVERY_STEPS}


def triggers_delivery(message: str) -> dict[str, bool]:
    """Which delivery steps a build of a main commit with this message would run."""
    variables = {
        "build.branch": "main",
        "pipeline.default_branch": "main",
        "build.pull_request.id": None,
        "build.message": message,
    }
    return {key: evaluate(condition, variables) for key, condition in delivery_conditions().items()}


def rehearse(workdir: Path, run_tests: bool) -> None:
    r = Rehearsal(workdir, steps=8)

    r.step("pipeline: buildkite-agent pipeline upload --dry-run (what CI's upload checks)")
    if shutil.which("buildkite-agent") is None:
        raise SystemExit(
            "release: buildkite-agent is not on PATH: run tools/release (it installs it)"
        )
    dry_run_env = {**r.env, "BUILDKITE_AGENT_ACCESS_TOKEN": "local-dry-run"}
    uploaded = r.run(
        "buildkite-agent", "pipeline", "upload", "--dry-run", "--format", "yaml", PIPELINE,
        env=dry_run_env, quiet=True,
    )  # fmt: skip
    r.note(f"accepted: {len(yaml.safe_load(uploaded)['steps'])} steps")

    r.step("test: tools/test services/kv (stand-in for bazel test --config=ci //...)")
    if run_tests:
        r.run(REPO_ROOT / "tools" / "test", "services/kv", "-q")
    else:
        r.note("skipped (--skip-tests)")

    r.step("image: reproducible OCI layout of the app (stand-in for the Bazel image)")
    layout = workdir / "image"
    digest = oci_layout.build(REPO_ROOT / "services" / "kv", layout)
    (workdir / "image.digest").write_text(digest + "\n")
    r.note(f"LOCAL STAND-IN (app layer only, no base image): {layout}")
    r.note(f"digest {digest}")
    r.note("bazel run //services/kv:image_push would push the real image by this kind of digest")

    current = parse((REPO_ROOT / DEFAULT_VALUES_FILE).read_text(), DEFAULT_VALUES_FILE)
    r.step("render: the values file pinning that digest (what //services/kv:image_values runs)")
    rendered = workdir / "image.yaml"
    r.run(
        PROMOTE, "render", "--repository", current.repository,
        "--digest-file", workdir / "image.digest", "--output", rendered,
    )  # fmt: skip
    for line in rendered.read_text().splitlines():
        r.note("| " + line)

    r.step("promote: commit the digest to a local bare repository standing in for GitHub")
    remote, seed, checkout = workdir / "gitops.git", workdir / "seed", workdir / "checkout"
    r.git("init", "--quiet", "--bare", "--initial-branch=main", str(remote), cwd=workdir)
    r.git("init", "--quiet", "--initial-branch=main", str(seed), cwd=workdir)
    seeded = seed / DEFAULT_VALUES_FILE
    seeded.parent.mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / DEFAULT_VALUES_FILE, seeded)
    r.git("add", DEFAULT_VALUES_FILE, cwd=seed)
    r.git("commit", "--quiet", "-m", "seed: the working tree's GitOps values file", cwd=seed)
    r.git("push", "--quiet", str(remote), "HEAD:refs/heads/main", cwd=seed)
    r.git("clone", "--quiet", str(remote), str(checkout), cwd=workdir)
    r.git("checkout", "--quiet", "--detach", cwd=checkout)  # as a CI checkout is
    source = r.git("rev-parse", "HEAD", cwd=REPO_ROOT)
    promote_args = (
        PROMOTE, "commit", "-C", checkout, "--repository", current.repository,
        "--digest", digest, "--source-commit", source,
    )  # fmt: skip
    r.run(*promote_args)
    promoted = r.git("rev-parse", "main", cwd=remote)
    r.git("show", "--stat", "--format=%H%n%B", promoted, cwd=remote)

    r.step("rerun: the same promotion again changes nothing")
    r.run(*promote_args)
    if r.git("rev-parse", "main", cwd=remote) != promoted:
        raise SystemExit("release: a repeated promotion moved main")

    r.step("guard: the pipeline's push/promote `if` for the promote commit (no build loop)")
    message = r.git("log", "-1", "--format=%B", promoted, cwd=remote, quiet=True)
    runs = triggers_delivery(message)
    r.note(f"steps that would run for it: {sorted(k for k, v in runs.items() if v) or 'none'}")
    if any(runs.values()):
        raise SystemExit("release: the promote commit would trigger another promotion")

    r.step("rollback: git revert of the promote commit")
    r.git("fetch", "--quiet", "origin", "main", cwd=checkout)
    r.git("checkout", "--quiet", "--detach", "FETCH_HEAD", cwd=checkout)
    r.git("revert", "--no-edit", "HEAD", cwd=checkout)
    r.git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=checkout)
    restored = parse(r.git("show", f"main:{DEFAULT_VALUES_FILE}", cwd=remote, quiet=True) + "\n")
    r.note(f"prod pins {restored.digest or 'nothing (the seed had no digest)'} again")
    revert_message = r.git("log", "-1", "--format=%s", "main", cwd=remote, quiet=True)
    r.note(f"main is now: {revert_message}")
    reverted = triggers_delivery(r.git("log", "-1", "--format=%B", "main", cwd=remote, quiet=True))
    r.note(
        f"steps that would run for the revert: {sorted(k for k, v in reverted.items() if v) or 'none'}"
    )
    if any(reverted.values()):
        raise SystemExit("release: the revert would rebuild and promote the image it rolled back")
    print(f"\nrelease: rehearsal passed; artifacts in {workdir}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/release", description=__doc__.split("\n\n")[0])
    parser.add_argument("--local", action="store_true", required=True,
                        help="rehearse on this machine (the only mode)")  # fmt: skip
    parser.add_argument("--skip-tests", action="store_true", help="skip the test step")
    parser.add_argument("--workdir", type=Path, help="where to write (default: a new temp dir)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kv-release-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if any(workdir.iterdir()):
        parser.error(f"--workdir {workdir} must be empty")
    rehearse(workdir.resolve(), run_tests=not args.skip_tests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
