"""The few git operations promote needs, run as real `git` processes."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class GitError(RuntimeError):
    """A git command failed; the message carries its output."""


@dataclass(frozen=True)
class Git:
    """git in one working directory. Output is bytes-exact (no newline translation)."""

    cwd: Path

    def run(
        self,
        *args: str,
        stdin: bytes | None = None,
        env: dict[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.cwd,
            input=stdin,
            capture_output=True,
            env={**os.environ, **(env or {})},
            check=False,
        )
        if check and proc.returncode != 0:
            raise GitError(
                f"git {' '.join(args)} failed ({proc.returncode}): "
                f"{(proc.stderr or proc.stdout).decode(errors='replace').strip()}"
            )
        return proc

    def out(self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
        return self.run(*args, stdin=stdin, env=env).stdout.decode().strip()

    def ok(self, *args: str) -> bool:
        return self.run(*args, check=False).returncode == 0

    def fetch_tip(self, remote: str, branch: str) -> str:
        """The remote branch's current commit, with its objects fetched."""
        self.run("fetch", "--quiet", "--no-tags", remote, f"refs/heads/{branch}")
        return self.out("rev-parse", "--verify", "FETCH_HEAD^{commit}")

    def commit_file(self, parent: str, path: str, content: bytes, message: str) -> str:
        """A new commit on `parent` that changes only `path`, built without touching
        the working tree, the index or HEAD (so a dirty or detached checkout is fine)."""
        entry = self.out("ls-tree", parent, "--", path)
        mode = entry.split()[0] if entry else "100644"
        blob = self.out("hash-object", "-w", "--stdin", stdin=content)
        with tempfile.TemporaryDirectory(prefix="kv-promote-") as scratch:
            env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            self.run("read-tree", parent, env=env)
            self.run("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=env)
            tree = self.out("write-tree", env=env)
        return self.out("commit-tree", tree, "-p", parent, "-F", "-", stdin=message.encode())
