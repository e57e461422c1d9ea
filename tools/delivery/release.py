"""tools/release --local: rehearses the whole delivery flow on this machine.

Each step of .buildkite/pipeline.yml runs for real where it can, and locally
where it needs the cloud:

  pipeline  buildkite-agent pipeline upload --dry-run       (real)
  test      tools/test services/kv                          (instead of bazel test //...)
  image     crane: an image of the app's sources, its digest (instead of the Bazel image)
  render    tools/promote render                            (real; the Bazel target calls it)
  promote   tools/promote commit to a local bare repository (real git, instead of GitHub)
  rerun     the same promotion again: a no-op               (real)
  guard     the step scripts' loop guard on the promote commit (real)
  rollback  git revert of the promote commit, pushed, then a held promotion (real)

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

from tools.delivery.image_values import parse
from tools.delivery.promote import DEFAULT_VALUES_FILE

REPO_ROOT = Path(__file__).resolve().parents[2]
PIPELINE = REPO_ROOT / ".buildkite" / "pipeline.yml"
PROMOTE = REPO_ROOT / "tools" / "promote"
GUARD = REPO_ROOT / ".buildkite" / "steps" / "lib" / "guard.sh"
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


def delivers(r: Rehearsal, clone: Path, commit: str) -> bool:
    """Whether the push and promote steps would go on for a build of `commit`."""
    shown = r.run(
        "bash", "-c", f'set -euo pipefail; source "{GUARD}"; echo delivering',
        cwd=clone, env={**r.env, "BUILDKITE_COMMIT": commit}, quiet=True,
    )  # fmt: skip
    return shown.endswith("delivering")


def build_image(r: Rehearsal, workdir: Path) -> str:
    """An OCI image of the app's sources, written by crane; returns its digest."""
    if shutil.which("crane") is None:
        raise SystemExit("release: crane is not on PATH: run tools/release (it installs it)")
    layer = workdir / "app.tar"
    # Fixed owner and times, sorted names: the same sources give the same digest.
    r.run(
        "tar", "--sort=name", "--mtime=@0", "--owner=65532", "--group=65532", "--numeric-owner",
        "--exclude=__pycache__", "--exclude=tests", "-cf", layer, "-C", REPO_ROOT / "services",
        "kv", quiet=True,
    )  # fmt: skip
    image = workdir / "image.tar"
    r.run("crane", "append", "--oci-empty-base", "--new_layer", layer, "--new_tag", "kv:local",
          "--output", image, quiet=True)  # fmt: skip
    return r.run("crane", "digest", "--tarball", image, quiet=True)


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

    r.step("test: tools/test services/kv (in place of bazel test --config=ci //...)")
    if run_tests:
        r.run(REPO_ROOT / "tools" / "test", "services/kv", "-q")
    else:
        r.note("skipped (--skip-tests)")

    r.step("image: an image of the app's sources, by crane (the Bazel image in CI)")
    digest = build_image(r, workdir)
    (workdir / "image.digest").write_text(digest + "\n")
    r.note(f"app layer only, no base image: {workdir / 'image.tar'}")
    r.note(f"digest {digest}")

    current = parse((REPO_ROOT / DEFAULT_VALUES_FILE).read_text(), DEFAULT_VALUES_FILE)
    r.step("render: the values file pinning that digest (what //services/kv:image_values runs)")
    rendered = workdir / "image.yaml"
    r.run(
        PROMOTE, "render", "--repository", current.repository,
        "--digest-file", workdir / "image.digest", "--output", rendered,
    )  # fmt: skip
    for line in rendered.read_text().splitlines():
        r.note("| " + line)

    r.step("promote: commit the digest to a local bare repository (GitHub in CI)")
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

    r.step("guard: the push and promote steps skip the promote commit (no build loop)")
    r.git("fetch", "--quiet", "origin", "main", cwd=checkout)
    if delivers(r, checkout, promoted):
        raise SystemExit("release: the promote commit would trigger another promotion")
    r.note("the promote commit builds no image and promotes nothing")

    r.step("rollback: git revert of the promote commit, then a build that must not undo it")
    r.git("checkout", "--quiet", "--detach", "FETCH_HEAD", cwd=checkout)
    r.git("revert", "--no-edit", "HEAD", cwd=checkout)
    r.git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=checkout)
    reverted = r.git("rev-parse", "main", cwd=remote)
    restored = parse(r.git("show", f"main:{DEFAULT_VALUES_FILE}", cwd=remote, quiet=True) + "\n")
    r.note(f"prod pins {restored.digest or 'nothing (the seed had no digest)'} again")
    if delivers(r, checkout, reverted):
        raise SystemExit("release: the revert would rebuild and promote the image it rolled back")
    r.run(*promote_args)  # the next ordinary build's promotion
    if r.git("rev-parse", "main", cwd=remote) != reverted:
        raise SystemExit("release: a promotion after the rollback brought the digest back")
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
