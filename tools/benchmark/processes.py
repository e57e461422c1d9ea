"""The processes a bench run starts, and the per-process numbers it reads.

mirakuru starts each one in its own process group (stopping a gunicorn
master stops its workers too), waits until it listens, and fails at once if
it exits first. Processes stops all of them on exit, on an exception, on
Ctrl-C and on SIGTERM: a bench run leaves no process behind. Ports come from
port-for, outside the kernel's ephemeral range.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import port_for
from mirakuru import SimpleExecutor, TCPExecutor
from mirakuru.base import ENV_UUID
from mirakuru.exceptions import (
    AlreadyRunning,
    ProcessExitedWithError,
    ProcessFinishedWithError,
    TimeoutExpired,
)

HOST = "127.0.0.1"
# To start listening, and to stop after SIGTERM before SIGKILL (gunicorn's
# graceful stop).
TIMEOUT_S = 30


def free_port() -> int:
    """A TCP port on loopback that nothing uses right now."""
    return port_for.select_random()


class _OwnEnvironment(SimpleExecutor):
    """Runs with only the environment it is given (and mirakuru's marker, by
    which it finds leftovers): gunicorn would take WEB_CONCURRENCY or
    GUNICORN_CMD_ARGS from the caller's."""

    @property
    def envvars(self) -> dict[str, str]:
        return {**self._envvars, ENV_UUID: super().envvars[ENV_UUID]}


class _Server(_OwnEnvironment, TCPExecutor):
    pass


class Processes:
    """Starts the bench's processes, each logging to <logs>/<name>.log, and stops them."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.executors: list[SimpleExecutor] = []

    def start(
        self,
        name: str,
        args: Sequence[str],
        env: Mapping[str, str],
        port: int | None = None,
        cwd: Path | None = None,
    ) -> subprocess.Popen[str]:
        """Starts args; with a port, returns once something listens on it."""
        self.logs.mkdir(parents=True, exist_ok=True)
        log_path = self.logs / f"{name}.log"
        with log_path.open("a") as log:
            options: dict[str, Any] = {
                "envvars": dict(env), "cwd": str(cwd) if cwd else None, "timeout": TIMEOUT_S,
                "stdin": subprocess.DEVNULL, "stdout": log, "stderr": subprocess.STDOUT,
            }  # fmt: skip
            executor = (
                _Server(list(args), host=HOST, port=port, **options)
                if port
                else _OwnEnvironment(list(args), **options)
            )
            self.executors.append(executor)
            try:
                executor.start()
            except (AlreadyRunning, ProcessExitedWithError, TimeoutExpired) as error:
                raise RuntimeError(
                    f"{name} did not start listening on {HOST}:{port}: {error} See {log_path}"
                ) from error
        assert executor.process is not None  # mirakuru raises when a start fails
        return executor.process

    def stop(self, process: subprocess.Popen[str]) -> None:
        """SIGTERM to its process group, SIGKILL if it is still there after TIMEOUT_S."""
        for executor in [e for e in self.executors if e.process is process]:
            self._stop(executor)

    def _stop(self, executor: SimpleExecutor) -> None:
        # An exit status is no reason to leave the others running.
        with contextlib.suppress(ProcessFinishedWithError):
            executor.stop()
        self.executors.remove(executor)

    def stop_all(self) -> None:
        for executor in reversed(self.executors[:]):
            self._stop(executor)

    @contextlib.contextmanager
    def running(self) -> Iterator[Processes]:
        """Stops everything on leaving, also on SIGTERM and SIGINT."""

        def on_signal(signum: int, frame: FrameType | None) -> None:
            raise SystemExit(128 + signum)

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield self
        finally:
            self.stop_all()
            for s, handler in previous.items():
                signal.signal(s, handler)


# psutil has no peak RSS (VmHWM) on Linux, nor a way to reset it: /proc has both.
def peak_rss_kib(pid: int) -> int:
    """Peak RSS since the process started or since reset_peak()."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:", 1)[1].split()[0])


def reset_peak(pid: int) -> None:
    """Resets VmHWM to the current RSS (Linux clear_refs, value 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
