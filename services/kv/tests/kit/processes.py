"""Real local processes for tests: free ports, redis-server, waiting for readiness."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tools.testkit.tooling import require_tool

# Starts of a server whose picked port another process bound first.
START_ATTEMPTS = 3


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, timeout: float = 15.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Blocks until 127.0.0.1:port accepts connections, or raises.

    With `proc`, the listener must be that process: a port someone else bound
    after it was picked would otherwise pass for ours.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                pass
        except OSError:
            time.sleep(0.05)
            continue
        if proc is None or any(port in listening_ports(pid) for pid in process_tree(proc.pid)):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (runc, for one, listens through its child)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):  # gone since the listing
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        queue.extend(children.get(current, []))
    return tree


def listening_ports(pid: int) -> set[int]:
    """TCP ports a process listens on, from /proc (Linux)."""
    inodes = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # gone, or not ours to read
        return set()
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:  # closed since the listing
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            # local_address is HEX_IP:HEX_PORT; state 0A is LISTEN; field 9 is the inode.
            if fields[3] == "0A" and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Terminates a process, killing it if it does not exit in time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class RedisServer:
    """One redis-server process on loopback, without persistence, in its own directory.

    Ports left to it are picked when it first starts, and picked again if
    another process took one between the pick and the bind (free ports are
    only free at the moment they are asked for). `cluster_bus` gives a
    cluster node an explicit bus port too: the default, port + 10000, may be
    taken or past 65535. A restart keeps its ports (a cluster node's
    nodes.conf names them).
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
        self.proc: subprocess.Popen[bytes] | None = None
        self._started = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.workdir / "redis-server.log"

    def start(self) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                self._spawn()
                break
            except RuntimeError:
                taken = "Address already in use" in self.log_path.read_text(errors="replace")
                if not taken or self.fixed_port or self._started or attempt == START_ATTEMPTS:
                    raise
                self.port = free_port()
                self.bus_port = free_port() if self.bus_port else None
        self._started = True
        return self

    def _spawn(self) -> None:
        args = [
            require_tool("redis-server"),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
            "--logfile", str(self.log_path),
            *(("--cluster-port", str(self.bus_port)) if self.bus_port else ()),
            *self.extra,
        ]  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(self.port, proc=self.proc)
        except RuntimeError as error:
            self.proc = None
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"{error}; redis-server said: {' | '.join(tail)}") from error

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir).start()
    try:
        yield server
    finally:
        server.stop()


SERVICE_DIR = Path(__file__).resolve().parents[2]  # services/kv


class Gunicorn:
    """The service under the production gunicorn config, as tools/dev runs it."""

    def __init__(self, env: dict[str, str], log_path: Path, port: int | None = None) -> None:
        self.fixed_port = port is not None
        self.port = port or free_port()
        self.env = {**os.environ, "HOST": "127.0.0.1", **env}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> Gunicorn:
        """Starts gunicorn; a picked port that another process bound first
        is picked again (as RedisServer does)."""
        for attempt in range(1, START_ATTEMPTS + 1):
            with self.log_path.open("ab") as log:
                self.proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "--config",
                        "gunicorn.conf.py",
                        "kv.wsgi:app",
                    ],
                    cwd=SERVICE_DIR,
                    env={**self.env, "PORT": str(self.port)},
                    stdout=log,
                    stderr=log,
                )
            try:
                wait_for_port(self.port, timeout=timeout, proc=self.proc)
                return self
            except (RuntimeError, TimeoutError):
                taken = "Connection in use" in self.logs()
                stop(self.proc)
                self.proc = None
                if not taken or self.fixed_port or attempt == START_ATTEMPTS:
                    raise
                self.port = free_port()
        raise AssertionError("unreachable")

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc, timeout=30)
            self.proc = None
