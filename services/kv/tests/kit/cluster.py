"""A real Redis Cluster on loopback for tests: six redis-server processes
(three primaries, three replicas) joined by `redis-cli --cluster create`.

Failover is fast on purpose (cluster-node-timeout 1 s): a killed primary's
replica takes over in about two seconds, where Memorystore takes longer; the
tests measure the service's behaviour around it, not Redis's own speed.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.cluster import RedisCluster
from tests.kit.processes import RedisServer

from tools.testkit.tooling import require_tool


@dataclass(frozen=True)
class NodeInfo:
    """One line of CLUSTER NODES, the parts tests need."""

    node_id: str
    port: int
    role: str  # "master" | "slave"
    primary_id: str | None  # for a replica, its primary's id
    failed: bool
    slots: tuple[str, ...]


class RedisClusterProcesses:
    """Redis Cluster of `primaries` shards with `replicas` replicas each."""

    def __init__(
        self, workdir: Path, primaries: int = 3, replicas: int = 1, node_timeout_ms: int = 1000
    ) -> None:
        self.workdir = workdir
        self.replicas = replicas
        extra = (
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(node_timeout_ms),
            # A replica's full sync starts at once instead of waiting 5 s for company.
            "--repl-diskless-sync-delay", "0",
        )  # fmt: skip
        self.nodes = [
            RedisServer(workdir / f"node-{i}", extra=extra, cluster_bus=True)
            for i in range(primaries * (1 + replicas))
        ]

    @property
    def url(self) -> str:
        """The seed address the service is given (Memorystore's discovery endpoint)."""
        return self.nodes[0].url

    def start(self, timeout: float = 30.0) -> RedisClusterProcesses:
        """Starts every node and forms the cluster; on any failure, stops
        what it started (a fixture whose setup fails never runs its teardown)."""
        try:
            return self._form(timeout)
        except BaseException:
            self.stop()
            raise

    def _form(self, timeout: float) -> RedisClusterProcesses:
        for node in self.nodes:
            node.start()
        subprocess.run(
            [
                require_tool("redis-cli"),
                "--cluster",
                "create",
                *(f"127.0.0.1:{node.port}" for node in self.nodes),
                "--cluster-replicas",
                str(self.replicas),
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        self.wait_until_healthy(timeout)
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def node(self, port: int) -> RedisServer:
        return next(node for node in self.nodes if node.port == port)

    def client(self) -> RedisCluster:
        return RedisCluster.from_url(self.url, decode_responses=True)

    def topology(self, port: int | None = None) -> list[NodeInfo]:
        """CLUSTER NODES as seen by one live node (any, by default)."""
        ports = [port] if port else [n.port for n in self.nodes if n.proc is not None]
        for candidate in ports:
            try:
                text = str(command(candidate, "CLUSTER", "NODES"))
                break
            except redis.ConnectionError:
                continue
        else:
            raise RuntimeError("no cluster node answers")
        nodes = []
        for line in text.splitlines():
            fields = line.split()
            flags = fields[2].split(",")
            nodes.append(
                NodeInfo(
                    node_id=fields[0],
                    port=int(fields[1].split("@")[0].rsplit(":", 1)[1]),
                    role="master" if "master" in flags else "slave",
                    primary_id=None if fields[3] == "-" else fields[3],
                    failed="fail" in flags or "fail?" in flags,
                    slots=tuple(fields[8:]),
                )
            )
        return nodes

    def primary_ports(self) -> list[int]:
        return sorted(n.port for n in self.topology() if n.role == "master" and n.slots)

    def replica_port_of(self, primary_port: int, timeout: float = 10.0) -> int:
        """A live replica of the primary, as the primary itself sees it (other
        nodes may lag a moment after a failover or a restart)."""
        deadline = time.monotonic() + timeout
        while True:
            nodes = self.topology(primary_port)
            primary = next(n for n in nodes if n.port == primary_port)
            replicas = [n.port for n in nodes if n.primary_id == primary.node_id and not n.failed]
            if replicas:
                return replicas[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"{primary_port} has no live replica after {timeout}s")
            time.sleep(0.1)

    def node_id(self, port: int) -> str:
        return str(command(port, "CLUSTER", "MYID"))

    def begin_slot_migration(self, slot: int, source: int, target: int) -> None:
        """Marks `slot` as moving from the primary on `source` to the one on
        `target`: the source now answers ASK for keys it does not hold."""
        command(target, "CLUSTER", "SETSLOT", str(slot), "IMPORTING", self.node_id(source))
        command(source, "CLUSTER", "SETSLOT", str(slot), "MIGRATING", self.node_id(target))

    def finish_slot_migration(self, slot: int, source: int, target: int) -> None:
        """Moves the slot's remaining keys and hands the slot to `target`: from
        here on the source answers MOVED."""
        while keys := command(source, "CLUSTER", "GETKEYSINSLOT", str(slot), "100"):
            assert isinstance(keys, list)
            command(source, "MIGRATE", "127.0.0.1", str(target), "", "0", "5000", "KEYS", *keys)
        owner = self.node_id(target)
        for port in [
            target,
            source,
            *(p for p in self.primary_ports() if p not in (source, target)),
        ]:
            command(port, "CLUSTER", "SETSLOT", str(slot), "NODE", owner)

    def kill(self, port: int) -> None:
        """SIGKILL, like a crashed VM: no goodbye to the rest of the cluster."""
        node = self.node(port)
        assert node.proc is not None
        node.kill()

    def manual_failover(self, primary_port: int, timeout: float = 20.0) -> int:
        """CLUSTER FAILOVER on the primary's replica, as Memorystore does for
        maintenance: the two swap roles, both stay up at their addresses.
        Returns the new primary's port once the cluster is healthy again."""
        replica = self.replica_port_of(primary_port)
        assert command(replica, "CLUSTER", "FAILOVER") == "OK"
        deadline = time.monotonic() + timeout
        while replica not in self.primary_ports() or primary_port in self.primary_ports():
            if time.monotonic() > deadline:
                raise TimeoutError(f"manual failover of {primary_port} did not complete")
            time.sleep(0.1)
        self.wait_until_healthy(timeout)
        return replica

    def restart(self, port: int) -> None:
        """Starts a killed node again from its nodes.conf; it rejoins as a replica
        of whoever took over its slots (its data did not survive: no persistence)."""
        self.node(port).start()

    def wait_until_healthy(self, timeout: float = 30.0) -> None:
        """Every live node says the cluster is ok, every shard has a primary,
        and every replica's link to its primary is up (so WAIT can succeed)."""
        deadline = time.monotonic() + timeout
        problem = "not checked yet"
        while time.monotonic() < deadline:
            problem = self._health_problem()
            if not problem:
                return
            time.sleep(0.1)
        raise TimeoutError(f"cluster not healthy after {timeout}s: {problem}")

    def _health_problem(self) -> str:
        live = [n for n in self.nodes if n.proc is not None]
        for node in live:
            try:
                info = parse_info(str(command(node.port, "CLUSTER", "INFO")))
                replication = parse_info(str(command(node.port, "INFO", "replication")))
            except redis.RedisError as error:
                return f"{node.port}: {error}"
            if info.get("cluster_state") != "ok":
                return f"{node.port}: cluster_state {info.get('cluster_state')}"
            if replication.get("role") == "slave" and replication.get("master_link_status") != "up":
                return f"{node.port}: replica link {replication.get('master_link_status')}"
        topology = self.topology()
        if any(n.failed for n in topology if n.port in {x.port for x in live}):
            return "a live node is still flagged as failed"
        primaries = [n for n in topology if n.role == "master" and n.slots and not n.failed]
        if len(primaries) * (1 + self.replicas) > len(live):
            return "a shard is short of nodes"
        for primary in primaries:
            attached = [n for n in topology if n.primary_id == primary.node_id and not n.failed]
            if len(attached) < self.replicas:
                return f"{primary.port} has {len(attached)} of {self.replicas} replica(s)"
        return ""


def command(port: int, *args: str, asking: bool = False) -> object:
    """One command to one node, reply unparsed (redis-py's callbacks reshape
    CLUSTER NODES differently across versions). `asking` sends ASKING first
    on the same connection, to read a slot that is being imported."""
    connection = redis.Connection(port=port, socket_timeout=2, decode_responses=True)  # type: ignore[no-untyped-call]
    try:
        if asking:
            connection.send_command("ASKING")  # type: ignore[no-untyped-call]
            connection.read_response()
        connection.send_command(*args)  # type: ignore[no-untyped-call]
        return connection.read_response()
    finally:
        connection.disconnect()  # type: ignore[no-untyped-call]


def parse_info(text: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
