"""tools/promote against real git: local bare repositories stand in for GitHub.

Every promotion runs the real CLI (tools/promote) in a CI-like clone with a
detached HEAD; assertions read the bare repository, including its reflog,
which records every value main ever had (so a force push would show up as a
tip that is not an ancestor of the next one).
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tools.delivery.image_values import HEADER, ImageRef, InvalidValuesFileError, parse, render
from tools.generation.generate import committed_platform
from tools.testkit.tooling import REPO_ROOT, require_tool

PROMOTE = REPO_ROOT / "tools" / "promote"
VALUES = "deploy/environments/prod/image.yaml"
REPOSITORY = "us-central1-docker.pkg.dev/example-kv-prod/kv/kv"
SEED = HEADER + f'image:\n  repository: {REPOSITORY}\n  digest: ""\n'


def digest(char: str) -> str:
    return "sha256:" + char * 64


def source(char: str) -> str:
    return char * 40


@dataclass
class GitOps:
    """A bare `origin` seeded with the values file, and CI-like clones of it."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def remote(self) -> Path:
        return self.root / "origin.git"

    def git(self, *args: str, cwd: Path | None = None, check: bool = True) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=cwd or self.remote, env=self.env, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)}: {proc.stderr}")
        return proc.stdout.strip()

    def clone(self, name: str) -> Path:
        path = self.root / name
        self.git("clone", "--quiet", str(self.remote), str(path), cwd=self.root)
        self.git("checkout", "--quiet", "--detach", cwd=path)  # Buildkite checks out a SHA
        return path

    def promote(
        self, clone: Path, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(PROMOTE), "commit", "-C", str(clone), "--retry-delay", "0.05",
             *args],
            env=env or self.env, capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip

    def push_commit(self, name: str, *git_args: str) -> str:
        """Runs a git command in a fresh clone of main and pushes the result."""
        work = self.root / name
        if not work.exists():
            self.git("clone", "--quiet", str(self.remote), str(work), cwd=self.root)
        self.git("pull", "--quiet", "--ff-only", "origin", "main", cwd=work)
        self.git(*git_args, cwd=work)
        self.git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=work)
        return self.tip()

    def tip(self) -> str:
        return self.git("rev-parse", "main")

    def values(self, rev: str = "main") -> str:
        return self.git("show", f"{rev}:{VALUES}") + "\n"

    def message(self, rev: str = "main") -> str:
        return self.git("log", "-1", "--format=%B", rev)

    def tips_oldest_first(self) -> list[str]:
        return list(reversed(self.git("reflog", "show", "--format=%H", "main").split()))

    def assert_never_forced(self) -> None:
        tips = self.tips_oldest_first()
        for older, newer in itertools.pairwise(tips):
            is_ancestor = subprocess.run(
                ["git", "merge-base", "--is-ancestor", older, newer], cwd=self.remote,
                env=self.env, check=False,
            )  # fmt: skip
            assert is_ancestor.returncode == 0, f"main moved from {older} to {newer} by force"


@pytest.fixture
def gitops(tmp_path: Path) -> GitOps:
    require_tool("git")
    config = tmp_path / "gitconfig"
    config.write_text("[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(config),
        "GIT_AUTHOR_NAME": "kv promote",
        "GIT_AUTHOR_EMAIL": "promote@test.invalid",
        "GIT_COMMITTER_NAME": "kv promote",
        "GIT_COMMITTER_EMAIL": "promote@test.invalid",
    }
    env.pop("BUILDKITE_COMMIT", None)
    repo = GitOps(tmp_path, env)
    repo.git("init", "--quiet", "--bare", str(repo.remote), cwd=tmp_path)
    repo.git("config", "core.logAllRefUpdates", "always")  # bare repos keep no reflog otherwise
    seed = tmp_path / "seed"
    repo.git("init", "--quiet", str(seed), cwd=tmp_path)
    (seed / VALUES).parent.mkdir(parents=True)
    (seed / VALUES).write_text(SEED)
    (seed / "README.md").write_text("kv\n")
    repo.git("add", ".", cwd=seed)
    repo.git("commit", "--quiet", "-m", "seed", cwd=seed)
    repo.git("push", "--quiet", str(repo.remote), "HEAD:refs/heads/main", cwd=seed)
    return repo


def test_first_promote_pins_digest_and_changes_only_that_line(gitops: GitOps) -> None:
    clone = gitops.clone("ci")
    before, head = gitops.tip(), gitops.git("rev-parse", "HEAD", cwd=clone)

    result = gitops.promote(clone, "--digest", digest("a"), "--source-commit", source("1"))

    assert result.returncode == 0, result.stderr
    assert gitops.values() == SEED.replace('digest: ""', f"digest: {digest('a')}")
    assert gitops.git("rev-parse", "main^") == before
    assert gitops.git("diff", "--numstat", "main^", "main") == f"1\t1\t{VALUES}"
    message = gitops.message()
    assert message.startswith("promote(prod): kv sha256:aaaaaaaaaaaa from 111111111111")
    assert f"Image-Digest: {digest('a')}" in message
    assert f"Source-Commit: {source('1')}" in message
    # The CI checkout itself is untouched: still detached at the build's commit.
    assert gitops.git("rev-parse", "HEAD", cwd=clone) == head
    assert gitops.git("status", "--porcelain", cwd=clone) == ""


def test_rerun_with_the_same_digest_is_a_noop(gitops: GitOps) -> None:
    clone = gitops.clone("ci")
    args = ("--digest", digest("a"), "--source-commit", source("1"))
    assert gitops.promote(clone, *args).returncode == 0
    promoted = gitops.tip()

    again = gitops.promote(clone, *args)

    assert again.returncode == 0, again.stderr
    assert f"already at {digest('a')}, nothing to do" in again.stdout
    assert gitops.tip() == promoted


def test_promote_refuses_to_take_prod_back_to_an_older_build(gitops: GitOps) -> None:
    work = gitops.clone("dev")
    for name in ("older", "newer"):
        (work / f"{name}.txt").write_text(name)
        gitops.git("add", ".", cwd=work)
        gitops.git("commit", "--quiet", "-m", name, cwd=work)
    gitops.git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=work)
    older, newer = gitops.git("rev-parse", "main^"), gitops.tip()
    clone = gitops.clone("ci")
    assert gitops.promote(clone, "--digest", digest("b"), "--source-commit", newer).returncode == 0
    deployed = gitops.tip()

    # A re-run of the older build's promote step comes after the newer one.
    late = gitops.promote(clone, "--digest", digest("a"), "--source-commit", older)

    assert late.returncode == 0, late.stderr
    assert "not going back" in late.stdout
    assert gitops.tip() == deployed
    assert parse(gitops.values()).digest == digest("b")


def test_racing_promotes_both_land_in_order_and_the_later_wins(gitops: GitOps) -> None:
    first, second = gitops.clone("first"), gitops.clone("second")
    # Deterministic race: `second` reads main, then (in the pre-push hook of
    # its scratch clone, after git has read the remote's refs) `first`
    # promotes; second's push is then stale and must be redone on top, never
    # forced. The hook fires once (the marker), also for first's own push.
    hooks, marker = gitops.root / "hooks", gitops.root / "raced"
    hooks.mkdir()
    (hooks / "pre-push").write_text(
        "#!/bin/sh\n"
        f'[ -e "{marker}" ] && exit 0\n'
        f': > "{marker}"\n'
        "unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f'exec "{sys.executable}" "{PROMOTE}" commit -C "{first}" --digest {digest("a")} '
        f"--source-commit {source('1')} >/dev/null\n"
    )
    (hooks / "pre-push").chmod(0o755)
    hooked = {**gitops.env, "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.hooksPath",
              "GIT_CONFIG_VALUE_0": str(hooks)}  # fmt: skip
    seed = gitops.tip()

    result = gitops.promote(
        second, "--digest", digest("b"), "--source-commit", source("2"), env=hooked
    )

    assert result.returncode == 0, result.stderr
    assert "moved during attempt 1" in result.stdout
    later, earlier = gitops.git("rev-list", "--first-parent", "main").split()[:2]
    assert gitops.git("rev-parse", f"{earlier}^") == seed
    assert f"Image-Digest: {digest('a')}" in gitops.message(earlier)
    assert f"Image-Digest: {digest('b')}" in gitops.message(later)
    assert parse(gitops.values()).digest == digest("b")
    assert gitops.tips_oldest_first() == [seed, earlier, later]
    gitops.assert_never_forced()


def test_concurrent_promotes_all_land_without_force(gitops: GitOps) -> None:
    clones = {char: gitops.clone(f"ci-{char}") for char in "abc"}
    procs = {}
    for char, clone in clones.items():
        procs[char] = subprocess.Popen(
            [sys.executable, str(PROMOTE), "commit", "-C", str(clone), "--digest", digest(char),
             "--source-commit", source(char), "--retry-delay", "0.05", "--max-attempts", "10"],
            env=gitops.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    for char, proc in procs.items():
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"promote {char}: {stderr}"

    messages = gitops.git("log", "--format=%B%x00", "main").split("\x00")
    landed = {m for char in "abc" for m in messages if f"Image-Digest: {digest(char)}" in m}
    assert len(landed) == 3
    newest = re.search(r"Image-Digest: (\S+)", gitops.message())
    assert newest is not None
    assert parse(gitops.values()).digest == newest.group(1)
    gitops.assert_never_forced()


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (("--digest", "sha256:" + "A" * 64), "invalid image digest"),
        (("--digest", "sha256:abc"), "invalid image digest"),
        (("--digest", "a" * 64), "invalid image digest"),
        (("--digest", digest("a"), "--repository", f"{REPOSITORY}:latest"), "invalid image repository"),
        (("--digest", digest("a"), "--repository", "docker.io/library/kv"), "invalid image repository"),
        (("--digest", digest("a"), "--repository", "us-central1-docker.pkg.dev/kv"), "invalid image repository"),
    ],
    ids=["uppercase-hex", "short", "no-algorithm", "tagged", "not-artifact-registry", "no-image"],
)  # fmt: skip
def test_malformed_input_is_refused_and_changes_nothing(
    gitops: GitOps, args: tuple[str, ...], complaint: str
) -> None:
    clone = gitops.clone("ci")
    before = gitops.git("for-each-ref")

    result = gitops.promote(clone, *args, "--source-commit", source("1"))

    assert result.returncode == 2
    assert complaint in result.stderr
    assert gitops.git("for-each-ref") == before
    assert gitops.git("status", "--porcelain", cwd=clone) == ""


def test_push_rejected_without_a_race_fails_without_retrying(gitops: GitOps) -> None:
    hook = gitops.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch: promotion bot not allowed' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = gitops.tip()

    result = gitops.promote(gitops.clone("ci"), "--digest", digest("a"))

    assert result.returncode == 1
    assert "did not move" in result.stderr
    assert "promotion bot not allowed" in result.stderr
    assert "attempt" not in result.stdout
    assert gitops.tip() == before


def test_values_file_with_an_unexpected_layout_is_refused(gitops: GitOps) -> None:
    work = gitops.clone("dev")
    (work / VALUES).write_text(SEED + "replicas: 3\n")
    gitops.git("commit", "--quiet", "-am", "hand edit", cwd=work)
    gitops.git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=work)
    before = gitops.tip()

    result = gitops.promote(gitops.clone("ci"), "--digest", digest("a"))

    assert result.returncode == 2
    assert "not in the form tools/promote writes" in result.stderr
    assert gitops.tip() == before


def _runs_delivery(gitops: GitOps, clone: Path, rev: str) -> bool:
    """Whether the push/promote steps' loop guard lets a build of `rev` go on."""
    guard = REPO_ROOT / ".buildkite" / "steps" / "lib" / "guard.sh"
    commit = gitops.git("rev-parse", rev, cwd=clone)
    result = subprocess.run(
        ["bash", "-c", f'set -euo pipefail; source "{guard}"; echo delivering'],
        cwd=clone, env={**gitops.env, "BUILDKITE_COMMIT": commit}, capture_output=True,
        text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().endswith("delivering")


def test_promote_commit_and_its_revert_do_not_trigger_another_promotion(gitops: GitOps) -> None:
    clone = gitops.clone("ci")
    assert (
        gitops.promote(clone, "--digest", digest("a"), "--source-commit", source("1")).returncode
        == 0
    )
    gitops.push_commit("dev", "revert", "--no-edit", "HEAD")  # the documented rollback
    gitops.push_commit("dev", "commit", "--quiet", "--allow-empty", "-m",
                       "Fix /list paging\n\npromote(prod): in a body is fine")  # fmt: skip
    gitops.git("fetch", "--quiet", "origin", "main", cwd=clone)

    assert not _runs_delivery(gitops, clone, "FETCH_HEAD~2"), "a promote commit builds"
    assert not _runs_delivery(gitops, clone, "FETCH_HEAD~1"), "a rollback builds"
    # ...while ordinary commits still deliver (the guard is not vacuous).
    assert _runs_delivery(gitops, clone, "FETCH_HEAD")
    assert _runs_delivery(gitops, clone, "FETCH_HEAD~3")


def test_a_rolled_back_digest_stays_rolled_back_until_the_hold_is_released(
    gitops: GitOps,
) -> None:
    clone = gitops.clone("ci")
    assert (
        gitops.promote(clone, "--digest", digest("a"), "--source-commit", source("1")).returncode
        == 0
    )
    assert (
        gitops.promote(clone, "--digest", digest("b"), "--source-commit", source("2")).returncode
        == 0
    )
    rollback = gitops.push_commit("dev", "revert", "--no-edit", "HEAD")
    assert parse(gitops.values()).digest == digest("a")

    # The next ordinary build (main's code again, the reverted change in it).
    held = gitops.promote(clone, "--digest", digest("c"), "--source-commit", source("3"))

    assert held.returncode == 0, held.stderr
    assert f"held: {VALUES} was rolled back by {rollback[:12]}" in held.stdout
    assert gitops.tip() == rollback
    assert parse(gitops.values()).digest == digest("a")

    released = gitops.promote(
        clone, "--digest", digest("c"), "--source-commit", source("3"), "--release-hold"
    )

    assert released.returncode == 0, released.stderr
    assert parse(gitops.values()).digest == digest("c")
    assert f"Released-Hold: {rollback}" in gitops.message()
    later = gitops.promote(clone, "--digest", digest("d"), "--source-commit", source("4"))
    assert later.returncode == 0
    assert parse(gitops.values()).digest == digest("d")


def test_reverting_the_rollback_clears_the_hold_on_purpose(gitops: GitOps) -> None:
    clone = gitops.clone("ci")
    for char in "ab":
        gitops.promote(clone, "--digest", digest(char), "--source-commit", source(char))
    gitops.push_commit("dev", "revert", "--no-edit", "HEAD")
    gitops.push_commit("dev", "revert", "--no-edit", "HEAD")  # roll forward again
    assert parse(gitops.values()).digest == digest("b")

    result = gitops.promote(clone, "--digest", digest("c"), "--source-commit", source("c"))

    assert result.returncode == 0, result.stderr
    assert parse(gitops.values()).digest == digest("c")


def test_the_values_file_is_rendered_whole_and_reads_back_as_yaml() -> None:
    b = ImageRef(REPOSITORY, digest("b"))
    assert parse(render(b)).pins(b)
    assert yaml.safe_load(render(b)) == {"image": {"repository": REPOSITORY, "digest": digest("b")}}
    assert yaml.safe_load(SEED) == {"image": {"repository": REPOSITORY, "digest": ""}}


def test_render_writes_the_values_file_from_a_rules_oci_digest_file(tmp_path: Path) -> None:
    digest_file, output = tmp_path / "image.json.sha256", tmp_path / "image.yaml"
    digest_file.write_text(digest("c") + "\n")

    result = subprocess.run(
        [sys.executable, str(PROMOTE), "render", "--repository", REPOSITORY,
         "--digest-file", str(digest_file), "--output", str(output)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert output.read_text() == render(ImageRef(REPOSITORY, digest("c")))


_PINNED = render(ImageRef(REPOSITORY, "sha256:" + "a" * 64))


@pytest.mark.parametrize(
    "text",
    [
        _PINNED.replace(HEADER, ""),
        _PINNED.replace("  digest", "    digest"),
        _PINNED + "  tag: z\n",
        _PINNED + "replicas: 3\n",
        _PINNED.replace("sha256:", "sha512:"),
        SEED.replace('""', "''"),
    ],
    ids=["no-header", "wrong-indent", "extra-key", "extra-top-level", "other-algorithm",
         "other-quotes"],
)  # fmt: skip
def test_parse_refuses_layouts_it_does_not_own(text: str) -> None:
    with pytest.raises(InvalidValuesFileError):
        parse(text)


def test_committed_values_file_pins_the_terraform_image_repository() -> None:
    path = REPO_ROOT / VALUES
    assert path.is_file(), f"{VALUES} is missing: the chart's environment must pin an image"
    values = parse(path.read_text(), VALUES)  # the layout promote edits
    assert values.repository == committed_platform()["image_repository"]
    assert values.digest == "" or ImageRef(values.repository, values.digest)


def test_promote_step_script_commits_the_digest_the_push_step_recorded(
    gitops: GitOps, tmp_path: Path
) -> None:
    clone = gitops.clone("agent")
    built = gitops.git("rev-parse", "HEAD", cwd=clone)  # the build's checkout
    # The step script resolves the repo from its own path: give the CI clone
    # this checkout's promote step and tool (untracked, as in a CI checkout).
    for relative in (".buildkite/steps/promote.sh", ".buildkite/steps/lib/guard.sh",
                     "tools/promote"):  # fmt: skip
        (clone / relative).parent.mkdir(parents=True, exist_ok=True)
        (clone / relative).write_bytes((REPO_ROOT / relative).read_bytes())
        (clone / relative).chmod(0o755)
    (clone / "tools" / "delivery").mkdir()
    for module in (REPO_ROOT / "tools" / "delivery").glob("*.py"):
        (clone / "tools" / "delivery" / module.name).write_bytes(module.read_bytes())
    agent = tmp_path / "bin" / "buildkite-agent"
    agent.parent.mkdir()
    agent.write_text(
        f'#!/bin/sh\n[ "$*" = "meta-data get kv-image-digest" ] || exit 64\necho "{digest("e")}"\n'
    )
    agent.chmod(0o755)
    env = {
        **gitops.env,
        "PATH": f"{agent.parent}:{os.environ['PATH']}",
        "BUILDKITE_COMMIT": built,
        "BUILDKITE_PIPELINE_DEFAULT_BRANCH": "main",
    }

    result = subprocess.run(
        [str(clone / ".buildkite" / "steps" / "promote.sh")],
        env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert parse(gitops.values()).pins(ImageRef(REPOSITORY, digest("e")))
    assert f"Source-Commit: {built}" in gitops.message()
