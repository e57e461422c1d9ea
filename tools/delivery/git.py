"""The few git operations promote needs, run as real `git` processes."""

from __future__ import annotations

import os
import subprocess
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
