"""Processes the bench starts, and what /proc says about them.

Every server runs in its own session (process group) so stopping it stops
its workers too, and the Supervisor stops all of them on exit, on Ctrl-C and
on SIGTERM: a bench run leaves no process behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Supervisor:
    """Starts processes in their own process groups and stops them all."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(
        self, name: str, args: Sequence[str], env: Mapping[str, str], cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(
                list(args),
                env=dict(env),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def wait_for_port(self, proc: subprocess.Popen[bytes], port: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not port_open(port):
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}; see {self.logs}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")
            time.sleep(0.05)

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
        """SIGTERM to the whole group (gunicorn stops gracefully), then SIGKILL."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        # Workers that outlive their master would keep the group alive.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(self.procs[:]):
            self.stop(proc)

    @contextlib.contextmanager
    def running(self) -> Iterator[Supervisor]:
        """Stops everything on exit, including on SIGTERM/SIGINT."""

        def on_signal(signum: int, frame: FrameType | None) -> None:
            raise SystemExit(128 + signum)

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield self
        finally:
            self.stop_all()
            for s, handler in previous.items():
                signal.signal(s, handler)


@dataclass(frozen=True)
class ProcStat:
    pid: int
    cpu_s: float  # user + system CPU time
    rss_kib: int
    hwm_kib: int  # peak RSS since start or since reset_peak()
    threads: int


def children(pid: int) -> list[int]:
    """Direct children of pid (gunicorn workers of a master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def proc_stat(pid: int) -> ProcStat:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    status = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ":" in line
    )
    return ProcStat(
        pid=pid,
        cpu_s=(int(fields[11]) + int(fields[12])) / CLOCK_TICKS,
        rss_kib=int(status["VmRSS"].split()[0]),
        hwm_kib=int(status["VmHWM"].split()[0]),
        threads=int(status["Threads"]),
    )


def reset_peak(pid: int) -> None:
    """Resets VmHWM to the current RSS (Linux clear_refs, value 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
