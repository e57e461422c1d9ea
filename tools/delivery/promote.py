"""tools/promote: pin a pushed image digest in the GitOps values file.

    tools/promote commit --digest sha256:... [--repository R] [--source-commit SHA]
    tools/promote render --repository R --digest-file F --output O
    tools/promote show deploy/environments/prod/image.yaml

`commit` edits the values file at the tip of the remote branch, commits it
with a message naming the digest and the source commit, and pushes. The
commit is built with git plumbing on top of the fetched tip, so the local
working tree, index and HEAD are never touched (a CI detached-HEAD checkout,
or a laptop with uncommitted work, is fine). When the push is rejected
because the branch moved, it fetches the new tip and re-applies the edit
there, a bounded number of times with backoff. That is a rebase of a one-line
change; unlike `git rebase` it cannot conflict when two promotions race on
the same line. It never force-pushes. An unchanged digest is a no-op.

`render` writes a fresh values file from a digest file (what rules_oci
writes); the Bazel image target calls it. Both modes format the file through
tools/delivery/image_values.py.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tools.delivery.git import Git, GitError
from tools.delivery.image_values import (
    ImageRef,
    InvalidImageError,
    InvalidValuesFileError,
    parse,
    render,
    set_image,
    validate_digest,
)

DEFAULT_VALUES_FILE = "deploy/environments/prod/image.yaml"

# Every promote commit's subject starts with this. .buildkite/pipeline.yml
# skips the push and promote steps for such commits (and for their git
# reverts), which is what stops a promotion from promoting again;
# tools/tests/test_promote.py evaluates the pipeline's condition against a
# real promote commit.
SUBJECT_PREFIX = "promote({env}): "
SOURCE_TRAILER = "Source-Commit"

_SHA = re.compile(r"[0-9a-f]{40}")


class PromoteError(RuntimeError):
    """The promotion failed; nothing was pushed."""


def say(message: str) -> None:
    print(f"promote: {message}", flush=True)


def environment_of(values_file: str) -> str:
    """deploy/environments/<env>/image.yaml -> <env>."""
    return PurePosixPath(values_file).parent.name or "prod"


def commit_message(image: ImageRef, source_commit: str, values_file: str) -> str:
    env = environment_of(values_file)
    subject = SUBJECT_PREFIX.format(env=env) + f"kv {image.digest[:19]} from {source_commit[:12]}"
    return (
        f"{subject}\n\n"
        f"Pin {values_file} to\n{image}\n\n"
        f"Written by tools/promote; Argo CD syncs it to {env}. Roll back with\n"
        f"`git revert` of this commit (keep git's revert message: the pipeline\n"
        f"skips the image build and promotion for it as it does for this commit).\n\n"
        f"Image-Digest: {image.digest}\n"
        f"{SOURCE_TRAILER}: {source_commit}\n"
    )


@dataclass(frozen=True)
class Promotion:
    """One promotion request, validated before any git command runs."""

    digest: str
    repository: str | None  # None keeps the repository already in the file
    values_file: str
    source_commit: str
    remote: str = "origin"
    branch: str = "main"
    max_attempts: int = 5
    retry_delay: float = 1.0


def _newer_source_deployed(git: Git, tip: str, promotion: Promotion) -> str | None:
    """The source commit of the last promotion when it descends from ours.

    Guards against a re-run of an old build's promote step rolling prod back
    (rollbacks are `git revert`s). Unknown history (shallow clone) is not a
    reason to refuse."""
    last = git.out(
        "log", "-1", f"--grep=^{SOURCE_TRAILER}: ",
        f"--format=%(trailers:key={SOURCE_TRAILER},valueonly)",
        tip, "--", promotion.values_file,
    )  # fmt: skip
    if not _SHA.fullmatch(last) or last == promotion.source_commit:
        return None
    if git.ok("merge-base", "--is-ancestor", promotion.source_commit, last):
        return last
    return None


def promote(git: Git, promotion: Promotion) -> str | None:
    """Pushes the promote commit and returns it; None when there was nothing to do."""
    validate_digest(promotion.digest)
    if git.run("var", "GIT_COMMITTER_IDENT", check=False).returncode != 0:
        raise PromoteError(
            "no git identity: set user.name/user.email or GIT_AUTHOR_NAME, "
            "GIT_AUTHOR_EMAIL, GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL"
        )
    path = promotion.values_file
    for attempt in range(1, promotion.max_attempts + 1):
        tip = git.fetch_tip(promotion.remote, promotion.branch)
        shown = git.run("show", f"{tip}:{path}", check=False)
        if shown.returncode != 0:
            raise PromoteError(f"{path} does not exist on {promotion.remote}/{promotion.branch}")
        text = shown.stdout.decode()
        current = parse(text, path)
        image = ImageRef(promotion.repository or current.repository, promotion.digest)
        if current.pins(image):
            say(f"{path} is already at {image.digest}, nothing to do")
            return None
        newer = _newer_source_deployed(git, tip, promotion)
        if newer:
            say(
                f"{path} already pins an image built from {newer[:12]}, which descends from "
                f"{promotion.source_commit[:12]}: not going back (roll back with git revert)"
            )
            return None
        content = set_image(text, image, path).encode()
        message = commit_message(image, promotion.source_commit, path)
        commit = git.commit_file(tip, path, content, message)
        pushed = git.run(
            "push", "--porcelain", promotion.remote, f"{commit}:refs/heads/{promotion.branch}",
            check=False,
        )  # fmt: skip
        if pushed.returncode == 0:
            say(f"pushed {commit[:12]} to {promotion.remote}/{promotion.branch}: {path} -> {image}")
            return commit
        output = (pushed.stdout + pushed.stderr).decode(errors="replace").strip()
        if git.fetch_tip(promotion.remote, promotion.branch) == tip:
            # The branch did not move, so this is not a race: a hook, branch
            # protection or permissions. Retrying cannot help.
            raise PromoteError(f"push rejected and {promotion.branch} did not move:\n{output}")
        if attempt < promotion.max_attempts:
            delay = promotion.retry_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)  # noqa: S311
            say(
                f"{promotion.remote}/{promotion.branch} moved during attempt {attempt}; "
                f"re-applying on the new tip in {delay:.1f}s"
            )
            time.sleep(delay)
    raise PromoteError(
        f"{promotion.remote}/{promotion.branch} kept moving: gave up after "
        f"{promotion.max_attempts} attempts (never force-pushed)"
    )


def _attempts(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _read_digest(args: argparse.Namespace) -> str:
    if args.digest_file is not None:
        digest = Path(args.digest_file).read_text().strip()
    else:
        digest = args.digest
    return validate_digest(digest)


def _source_commit(git: Git, given: str | None) -> str:
    wanted = given or os.environ.get("BUILDKITE_COMMIT") or "HEAD"
    if _SHA.fullmatch(wanted):
        return wanted  # the build's commit need not exist in this clone
    resolved = git.run("rev-parse", "--verify", "--quiet", f"{wanted}^{{commit}}", check=False)
    if resolved.returncode != 0:
        raise InvalidImageError(f"source commit {wanted!r} is neither a full SHA nor a commit here")
    return resolved.stdout.decode().strip()


def _cmd_commit(args: argparse.Namespace) -> int:
    git = Git(Path(args.repo_dir))
    promotion = Promotion(
        digest=_read_digest(args),
        repository=args.repository,
        values_file=args.values_file,
        source_commit=_source_commit(git, args.source_commit),
        remote=args.remote,
        branch=args.branch,
        max_attempts=args.max_attempts,
        retry_delay=args.retry_delay,
    )
    if promotion.repository is not None:
        ImageRef(promotion.repository, promotion.digest)  # refuse before touching git
    promote(git, promotion)
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    text = render(ImageRef(args.repository, _read_digest(args)))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    values = parse(Path(args.values_file).read_text(), args.values_file)
    print(ImageRef(values.repository, values.digest))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tools/promote", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def digest_options(command: argparse.ArgumentParser) -> None:
        source = command.add_mutually_exclusive_group(required=True)
        source.add_argument("--digest", help="sha256:<64 hex>")
        source.add_argument("--digest-file", help="file holding the digest (rules_oci .digest)")

    commit = commands.add_parser("commit", help="commit and push a new digest to the GitOps file")
    digest_options(commit)
    commit.add_argument("--repository", help="image repository (default: keep the file's)")
    commit.add_argument("--values-file", default=DEFAULT_VALUES_FILE, help="path in the repo")
    commit.add_argument("--source-commit", help="commit the image was built from "
                        "(default: $BUILDKITE_COMMIT, else HEAD)")  # fmt: skip
    commit.add_argument("--remote", default="origin")
    commit.add_argument("--branch", default="main")
    commit.add_argument("--max-attempts", type=_attempts, default=5, help="pushes before giving up")
    commit.add_argument("--retry-delay", type=float, default=1.0, help="first backoff, seconds")
    commit.add_argument("-C", dest="repo_dir", default=".", help="git checkout to work in")
    commit.set_defaults(run=_cmd_commit)

    rendered = commands.add_parser("render", help="write a fresh values file")
    digest_options(rendered)
    rendered.add_argument("--repository", required=True)
    rendered.add_argument("--output", required=True, help="file to write, or - for stdout")
    rendered.set_defaults(run=_cmd_render)

    show = commands.add_parser("show", help="print REPOSITORY@DIGEST of a values file")
    show.add_argument("values_file")
    show.set_defaults(run=_cmd_show)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except (InvalidImageError, InvalidValuesFileError) as error:
        print(f"promote: refused: {error}", file=sys.stderr)
        return 2
    except (PromoteError, GitError, OSError) as error:
        print(f"promote: error: {error}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":  # the Bazel py_binary's entry point; tools/promote is the other
    sys.exit(main())
