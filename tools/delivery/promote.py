"""tools/promote: pin a pushed image digest in the GitOps values file.

    tools/promote commit --digest sha256:... [--repository R] [--source-commit SHA]
                         [--release-hold]
    tools/promote render --repository R --digest-file F --output O
    tools/promote show deploy/environments/prod/image.yaml

`commit` clones the remote branch into a scratch directory, writes the values
file whole, commits and pushes; when the push is rejected because the branch
moved, it takes the new tip and writes the file again there (a rebase of a
commit that only writes one machine-owned file), a few times with backoff.
It never force-pushes and never touches the checkout it is run from. The same
digest again is a no-op.

Two guards keep prod from going back by accident:
- an older build's promote step, re-run after a newer one, does nothing;
- after a rollback (`git revert` of a promote commit), ordinary promotions
  do nothing until someone clears the hold on purpose: `--release-hold`, or a
  revert of the revert (deploy/README.md, "Roll back").

`render` writes the values file from a digest file (what rules_oci writes);
the Bazel target //deploy:image_values calls it.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
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
    validate_digest,
)

DEFAULT_VALUES_FILE = "deploy/environments/prod/image.yaml"

# Every promote commit's subject starts with this; the push and promote step
# scripts skip such commits and their reverts (.buildkite/steps/lib/guard.sh).
SUBJECT_PREFIX = "promote({env}): "
SOURCE_TRAILER = "Source-Commit"
HOLD_TRAILER = "Released-Hold"

_SHA = re.compile(r"[0-9a-f]{40}")
_ROLLBACK = re.compile(r'Revert "promote\([a-z0-9-]+\): ')


class PromoteError(RuntimeError):
    """The promotion failed; nothing was pushed."""


def say(message: str) -> None:
    print(f"promote: {message}", flush=True)


def environment_of(values_file: str) -> str:
    """deploy/environments/<env>/image.yaml -> <env>."""
    return PurePosixPath(values_file).parent.name or "prod"


@dataclass(frozen=True)
class Promotion:
    """One promotion request, validated before any git command runs."""

    digest: str
    repository: str | None  # None keeps the repository already in the file
    values_file: str
    source_commit: str
    remote: str = "origin"
    branch: str = "main"
    release_hold: bool = False
    max_attempts: int = 5
    retry_delay: float = 1.0


def commit_message(image: ImageRef, promotion: Promotion, hold: str | None) -> str:
    env = environment_of(promotion.values_file)
    source = promotion.source_commit
    subject = SUBJECT_PREFIX.format(env=env) + f"kv {image.digest[:19]} from {source[:12]}"
    released = f"{HOLD_TRAILER}: {hold}\n" if hold else ""
    return (
        f"{subject}\n\n"
        f"Pin {promotion.values_file} to\n{image}\n\n"
        f"Written by tools/promote; Argo CD syncs it to {env}. Roll back with\n"
        f"`git revert` of this commit: promotions then wait until the hold is\n"
        f"cleared (deploy/README.md).\n\n"
        f"Image-Digest: {image.digest}\n"
        f"{SOURCE_TRAILER}: {source}\n"
        f"{released}"
    )


def _rollback_hold(work: Git, values_file: str) -> str | None:
    """The rollback commit when the file's last change was a revert of a promotion."""
    last = work.out("log", "-1", "--format=%H %s", "HEAD", "--", values_file)
    commit, _, subject = last.partition(" ")
    return commit if _ROLLBACK.match(subject) else None


def _newer_source_deployed(work: Git, promotion: Promotion) -> str | None:
    """The source commit of the last promotion when it descends from ours: a
    re-run of an old build's promote step must not roll prod back."""
    last = work.out(
        "log", "-1", f"--grep=^{SOURCE_TRAILER}: ",
        f"--format=%(trailers:key={SOURCE_TRAILER},valueonly)", "HEAD", "--", promotion.values_file,
    )  # fmt: skip
    if not _SHA.fullmatch(last) or last == promotion.source_commit:
        return None
    if work.ok("merge-base", "--is-ancestor", promotion.source_commit, last):
        return last
    return None


def _attempt(work: Git, promotion: Promotion) -> bool | None:
    """Commits on the clone's HEAD and pushes: True pushed, False rejected, None nothing to do."""
    path = promotion.values_file
    file = work.cwd / path
    if not file.is_file():
        raise PromoteError(f"{path} does not exist on {promotion.remote}/{promotion.branch}")
    current = parse(file.read_text(), path)
    image = ImageRef(promotion.repository or current.repository, promotion.digest)
    if current.pins(image):
        say(f"{path} is already at {image.digest}, nothing to do")
        return None
    hold = _rollback_hold(work, path)
    if hold and not promotion.release_hold:
        say(
            f"held: {path} was rolled back by {hold[:12]}; not promoting {image.digest} "
            f"(clear the hold on purpose with --release-hold, see deploy/README.md)"
        )
        return None
    newer = _newer_source_deployed(work, promotion)
    if newer:
        say(
            f"{path} already pins an image built from {newer[:12]}, which descends from "
            f"{promotion.source_commit[:12]}: not going back (roll back with git revert)"
        )
        return None
    file.write_text(render(image))
    work.run("commit", "--quiet", "--file=-", "--", path,
             stdin=commit_message(image, promotion, hold).encode())  # fmt: skip
    pushed = work.run("push", "--quiet", "origin", f"HEAD:refs/heads/{promotion.branch}",
                      check=False)  # fmt: skip
    if pushed.returncode == 0:
        say(f"pushed {work.out('rev-parse', 'HEAD')[:12]} to {promotion.remote}/"
            f"{promotion.branch}: {path} -> {image}")  # fmt: skip
        return True
    tip = work.out("rev-parse", "HEAD^")
    if work.fetch_tip("origin", promotion.branch) == tip:
        # The branch did not move, so this is not a race: a hook, branch
        # protection or permissions. Retrying cannot help.
        output = (pushed.stdout + pushed.stderr).decode(errors="replace").strip()
        raise PromoteError(f"push rejected and {promotion.branch} did not move:\n{output}")
    work.run("reset", "--quiet", "--hard", "FETCH_HEAD")
    return False


def promote(checkout: Git, promotion: Promotion) -> bool:
    """Pushes the promote commit; False when there was nothing to do."""
    validate_digest(promotion.digest)
    url = checkout.out("remote", "get-url", promotion.remote)
    with tempfile.TemporaryDirectory(prefix="kv-promote-") as scratch:
        checkout.run("clone", "--quiet", "--no-tags", "--single-branch",
                     "--branch", promotion.branch, url, scratch)  # fmt: skip
        work = Git(Path(scratch))
        if work.run("var", "GIT_COMMITTER_IDENT", check=False).returncode != 0:
            raise PromoteError(
                "no git identity: set user.name/user.email or GIT_AUTHOR_NAME, "
                "GIT_AUTHOR_EMAIL, GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL"
            )
        for attempt in range(1, promotion.max_attempts + 1):
            result = _attempt(work, promotion)
            if result is not False:
                return bool(result)
            if attempt < promotion.max_attempts:
                delay = promotion.retry_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)  # noqa: S311
                say(f"{promotion.remote}/{promotion.branch} moved during attempt {attempt}; "
                    f"writing the file again on the new tip in {delay:.1f}s")  # fmt: skip
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
        return validate_digest(Path(args.digest_file).read_text().strip())
    return validate_digest(args.digest)


def _source_commit(git: Git, given: str | None) -> str:
    wanted = given or os.environ.get("BUILDKITE_COMMIT") or "HEAD"
    if _SHA.fullmatch(wanted):
        return wanted  # the build's commit need not exist in this clone
    resolved = git.run("rev-parse", "--verify", "--quiet", f"{wanted}^{{commit}}", check=False)
    if resolved.returncode != 0:
        raise InvalidImageError(f"source commit {wanted!r} is neither a full SHA nor a commit here")
    return resolved.stdout.decode().strip()


def _cmd_commit(args: argparse.Namespace) -> int:
    checkout = Git(Path(args.repo_dir))
    promotion = Promotion(
        digest=_read_digest(args),
        repository=args.repository,
        values_file=args.values_file,
        source_commit=_source_commit(checkout, args.source_commit),
        remote=args.remote,
        branch=args.branch,
        release_hold=args.release_hold,
        max_attempts=args.max_attempts,
        retry_delay=args.retry_delay,
    )
    if promotion.repository is not None:
        ImageRef(promotion.repository, promotion.digest)  # refuse before touching git
    promote(checkout, promotion)
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
    print(f"{values.repository}@{values.digest}" if values.digest else values.repository)
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
    commit.add_argument("--release-hold", action="store_true",
                        help="promote even though the last change was a rollback (on purpose)")  # fmt: skip
    commit.add_argument("--remote", default="origin")
    commit.add_argument("--branch", default="main")
    commit.add_argument("--max-attempts", type=_attempts, default=5, help="pushes before giving up")
    commit.add_argument("--retry-delay", type=float, default=1.0, help="first backoff, seconds")
    commit.add_argument("-C", dest="repo_dir", default=".", help="checkout whose remote to use")
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
