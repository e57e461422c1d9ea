"""Real local processes for tests: redis-server and gunicorn on loopback.

mirakuru starts each one, waits until it answers (a TCP connect for Redis,
GET /healthz for gunicorn), fails at once if it exits first, and stops its
whole process group. Ports come from port-for, outside the kernel's
ephemeral range, so another program's outgoing connection cannot take one
between the pick and the bind.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import port_for
from mirakuru import HTTPExecutor, TCPExecutor
from mirakuru.exceptions import AlreadyRunning, ProcessExitedWithError

from tools.testkit.tooling import require_tool

SERVICE_DIR = Path(__file__).resolve().parents[2]  # services/kv
HOST = "127.0.0.1"
# Starts of a server whose picked port another test's server took first.
START_ATTEMPTS = 3
# What a refused start raises: something already answers on the port, or the
# process exited before it answered.
START_FAILURES = (AlreadyRunning, ProcessExitedWithError)


def free_port() -> int:
    """A TCP port on loopback that nothing uses right now."""
    return port_for.select_random()


def start_on_free_ports(
    start: Callable[[], None], fixed_port: bool, repick: Callable[[], None]
) -> None:
    """start(); when a picked port turns out to be taken (or the process exits
    before it answers), repick() and start again, up to START_ATTEMPTS times,
    unless the caller chose the port."""
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            start()
            return
        except START_FAILURES:
            if fixed_port or attempt == START_ATTEMPTS:
                raise
            repick()


class RedisServer:
    """One redis-server on loopback, without persistence, in its own directory.

    Ports left to it are picked when it first starts, and picked again if the
    port turns out to be taken. `cluster_bus` gives a cluster node an
    explicit bus port too (the default, port + 10000, may be taken or past
    65535). A restart keeps its ports: a cluster node's nodes.conf names them.
    """

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        extra: tuple[str, ...] = (),
        cluster_bus: bool = False,
    ) -> None:
        self.workdir = workdir
        self.fixed_port = port is not None
        self.port = port or free_port()
        self.bus_port = free_port() if cluster_bus else None
        self.extra = extra
        self.executor: TCPExecutor | None = None
        self._started = False

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.workdir / "redis-server.log"

    @property
    def proc(self) -> subprocess.Popen[str] | None:
        """The running process (to send it signals), None once stopped or killed."""
        return None if self.executor is None else self.executor.process

    def start(self) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            # A restart keeps its port: clients already hold the URL.
            start_on_free_ports(self._start_once, self.fixed_port or self._started, self._repick)
        except START_FAILURES as error:
            raise RuntimeError(f"{error}; redis-server said: {self._log_tail()}") from error
        self._started = True
        return self

    def _start_once(self) -> None:
        executor = TCPExecutor(
            self._command(), host=HOST, port=self.port, timeout=15,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        executor.start()
        self.executor = executor

    def _repick(self) -> None:
        self.port = free_port()
        self.bus_port = free_port() if self.bus_port else None

    def _command(self) -> list[str]:
        return [
            require_tool("redis-server"),
            "--port", str(self.port),
            "--bind", HOST,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
            "--logfile", str(self.log_path),
            *(("--cluster-port", str(self.bus_port)) if self.bus_port else ()),
            *self.extra,
        ]  # fmt: skip

    def _log_tail(self) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return " | ".join(self.log_path.read_text(errors="replace").strip().splitlines()[-3:])

    def kill(self) -> None:
        """SIGKILL, like a crashed VM: no goodbye to anyone."""
        if self.executor is not None:
            self.executor.kill()
            self.executor = None

    def stop(self) -> None:
        if self.executor is not None:
            self.executor.stop()
            self.executor = None


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir).start()
    try:
        yield server
    finally:
        server.stop()


class Gunicorn:
    """The service under the production gunicorn config, as tools/dev runs it."""

    def __init__(self, env: dict[str, str], log_path: Path, port: int | None = None) -> None:
        self.fixed_port = port is not None
        self.port = port or free_port()
        # Its own liveness port too: the default (8081) is one per machine.
        self.env = {**os.environ, "HOST": HOST, "KV_HEALTH_PORT": str(free_port()), **env}
        self.log_path = log_path
        self.executor: HTTPExecutor | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def proc(self) -> subprocess.Popen[str] | None:
        """The gunicorn master (to send it signals), None once stopped."""
        return None if self.executor is None else self.executor.process

    def start(self, timeout: float = 20.0) -> Gunicorn:
        """Starts gunicorn and waits until /healthz answers; a picked port
        that turns out to be taken is picked again (as RedisServer does)."""
        start_on_free_ports(lambda: self._start_once(timeout), self.fixed_port, self._repick)
        return self

    def _start_once(self, timeout: float) -> None:
        with self.log_path.open("a") as log:
            executor = HTTPExecutor(
                [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "kv.wsgi:app"],
                url=f"{self.url}/healthz", method="GET", cwd=str(SERVICE_DIR),
                envvars={**self.env, "PORT": str(self.port)},
                # Long enough for the graceful stop the shutdown tests measure.
                timeout=max(timeout, 30.0), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
            executor.start()
        self.executor = executor

    def _repick(self) -> None:
        self.port = free_port()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM, and SIGKILL if it has not exited within 30 s; a master
        that already exited (a test sent it SIGTERM) is only reaped."""
        if self.executor is not None:
            self.executor.stop()
            self.executor = None
