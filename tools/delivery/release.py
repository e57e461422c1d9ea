"""tools/release --local: rehearses the whole delivery flow on this machine.

Each step of .buildkite/pipeline.yml runs for real where it can, and locally
where it needs the cloud:

  pipeline  buildkite-agent pipeline upload --dry-run       (real)
  test      tools/test services/kv                          (instead of bazel test //...)
  image     crane: an image of the app's sources, its digest (instead of the Bazel image)
  render    tools/promote render                            (real; the Bazel target calls it)
  cluster   tools/cluster up, deploy/argocd/bootstrap.sh as written, a first
            release, Argo CD's controller and repo server syncing from a
            local bare repository        (instead of GKE, its Argo CD and GitHub)
  promote   tools/promote commit to that repository         (real git)
  sync      Argo CD rolls the kv Deployment to the built digest (real Argo CD;
            kwok plays the nodes: pods become Ready, no container runs)
  rerun     the same promotion again: a no-op               (real)
  guard     the step scripts' loop guard on the promote commit (real)
  rollback  git revert of the promote commit, pushed: Argo CD rolls kv back
            to the previous digest; then a held promotion    (real)

No step reaches the network. Everything is written under --workdir; the
cluster and Argo CD are stopped at the end, also when a step fails.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from tools.delivery.image_values import ImageRef, parse
from tools.delivery.local_argocd import SYNC_TIMEOUT, GitRemote, Syncing, kv_image, syncing
from tools.delivery.promote import DEFAULT_VALUES_FILE
from tools.toolchain.pins import pins

REPO_ROOT = Path(__file__).resolve().parents[2]
PIPELINE = REPO_ROOT / ".buildkite" / "pipeline.yml"
PROMOTE = REPO_ROOT / "tools" / "promote"
GUARD = REPO_ROOT / ".buildkite" / "steps" / "lib" / "guard.sh"
# What the cluster step runs besides git (tools/release installs them).
CLUSTER_TOOLS = (
    "kubectl", "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok",
    "argocd", "redis-server", "helm", "kustomize",
)  # fmt: skip
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


def require(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"release: {', '.join(missing)} not on PATH: run tools/release "
                         "(it installs them)")  # fmt: skip


def running_image(r: Rehearsal, cluster: Syncing, image: str) -> None:
    """Waits until Argo CD has rolled the kv Deployment out to `image`, then says what it runs."""
    cluster.wait_synced(("kv",), SYNC_TIMEOUT)
    cluster.wait_rolled_out(image, SYNC_TIMEOUT)
    r.note(f"deployment/kv runs {kv_image(cluster.kubectl)}")


def previous_release(repository: str) -> ImageRef:
    """The release before this one when the checkout's image.yaml pins none: a
    digest no build made, which kwok's nodes "run" as well as any (they start
    no container) and the rollback must bring back."""
    marker = hashlib.sha256(b"kv release rehearsal: the previous release").hexdigest()
    return ImageRef(repository, "sha256:" + marker)


def rehearse(workdir: Path, run_tests: bool) -> None:
    r = Rehearsal(workdir, steps=10)

    r.step("pipeline: buildkite-agent pipeline upload --dry-run (what CI's upload checks)")
    require("buildkite-agent", "crane", "git", *CLUSTER_TOOLS)
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

    r.step("cluster: tools/cluster up, bootstrap.sh, Argo CD syncing a local bare repository "
           "(GKE, its Argo CD and GitHub in prod)")  # fmt: skip
    previous = (ImageRef(current.repository, current.digest) if current.digest
                else previous_release(current.repository))  # fmt: skip
    if previous.digest == digest:
        raise SystemExit(f"release: {DEFAULT_VALUES_FILE} already pins the built digest: "
                         "there is nothing to roll out or back")  # fmt: skip

    def first_release(remote: GitRemote) -> None:
        if current.digest:
            return  # the seeded image.yaml already pins a release
        r.run(PROMOTE, "commit", "-C", remote.work, "--digest", previous.digest,
              "--source-commit", "0" * 40, env=remote.env)  # fmt: skip

    version = "v" + pins()["argocd"]
    with syncing(workdir, version, first_release, SYNC_TIMEOUT) as cluster:
        r.note(f"API server {kubeconfig_server(cluster)}; Argo CD {version} on ports "
               f"{' '.join(map(str, cluster.argocd.ports))}; every Application Synced")  # fmt: skip
        running_image(r, cluster, str(previous))
        deliver(r, workdir, cluster, current.repository, digest, previous)
    r.note("stopped: Argo CD, then tools/cluster down")
    print(f"\nrelease: rehearsal passed; artifacts in {workdir}", flush=True)


def kubeconfig_server(cluster: Syncing) -> str:
    config = yaml.safe_load(cluster.kubectl.kubeconfig.read_text())
    return str(config["clusters"][0]["cluster"]["server"])


def deliver(
    r: Rehearsal, workdir: Path, cluster: Syncing, repository: str, digest: str,
    previous: ImageRef,
) -> None:  # fmt: skip
    """The promote to rollback steps, against the remote Argo CD syncs from."""
    r.step("promote: commit the digest to the GitOps repository (GitHub in CI)")
    remote, checkout = cluster.remote.bare, workdir / "checkout"
    r.git("clone", "--quiet", str(remote), str(checkout), cwd=workdir)
    r.git("checkout", "--quiet", "--detach", cwd=checkout)  # as a CI checkout is
    source = r.git("rev-parse", "HEAD", cwd=REPO_ROOT)
    promote_args = (
        PROMOTE, "commit", "-C", checkout, "--repository", repository,
        "--digest", digest, "--source-commit", source,
    )  # fmt: skip
    r.run(*promote_args)
    promoted = r.git("rev-parse", "main", cwd=remote)
    r.git("show", "--stat", "--format=%H%n%B", promoted, cwd=remote)

    r.step("sync: Argo CD rolls the kv Deployment out to the built digest")
    running_image(r, cluster, str(ImageRef(repository, digest)))

    r.step("rerun: the same promotion again changes nothing")
    r.run(*promote_args)
    if r.git("rev-parse", "main", cwd=remote) != promoted:
        raise SystemExit("release: a repeated promotion moved main")

    r.step("guard: the push and promote steps skip the promote commit (no build loop)")
    r.git("fetch", "--quiet", "origin", "main", cwd=checkout)
    if delivers(r, checkout, promoted):
        raise SystemExit("release: the promote commit would trigger another promotion")
    r.note("the promote commit builds no image and promotes nothing")

    r.step("rollback: git revert of the promote commit, Argo CD rolls kv back, then a build "
           "that must not undo it")  # fmt: skip
    r.git("checkout", "--quiet", "--detach", "FETCH_HEAD", cwd=checkout)
    r.git("revert", "--no-edit", "HEAD", cwd=checkout)
    r.git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=checkout)
    reverted = r.git("rev-parse", "main", cwd=remote)
    restored = parse(r.git("show", f"main:{DEFAULT_VALUES_FILE}", cwd=remote, quiet=True) + "\n")
    r.note(f"prod pins {restored.digest} again")
    running_image(r, cluster, str(previous))
    if delivers(r, checkout, reverted):
        raise SystemExit("release: the revert would rebuild and promote the image it rolled back")
    r.run(*promote_args)  # the next ordinary build's promotion
    if r.git("rev-parse", "main", cwd=remote) != reverted:
        raise SystemExit("release: a promotion after the rollback brought the digest back")


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
    try:
        rehearse(workdir.resolve(), run_tests=not args.skip_tests)
    except (RuntimeError, TimeoutError) as error:  # the cluster's steps; it is stopped by now
        raise SystemExit(f"release: {error}") from error
    return 0


if __name__ == "__main__":
    sys.exit(main())
