"""The test kit's process starters (redis-server, gunicorn) survive the race
every free-port picker has: another process may bind the port between the
pick and the start (a whole session's cluster was once lost to it)."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from tests.kit.cluster import RedisClusterProcesses
from tests.kit.processes import Gunicorn, RedisServer


def listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


@contextmanager
def started_on_a_stolen_port(server: RedisServer | Gunicorn) -> Iterator[int]:
    """Starts `server` as if another process had bound its picked port
    between the pick and the start; yields that port."""
    with listening_socket() as thief:
        taken = int(thief.getsockname()[1])
        server.port = taken
        server.start()
        try:
            yield taken
        finally:
            server.stop()


def test_a_port_taken_after_the_pick_is_picked_again(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, cluster_bus=True)
    with started_on_a_stolen_port(server) as taken:
        assert server.port != taken
        assert redis.Redis(port=server.port).ping()
        assert "Address already in use" in server.log_path.read_text()


def test_a_port_the_caller_chose_is_never_changed(tmp_path: Path) -> None:
    with listening_socket() as thief:
        taken = thief.getsockname()[1]
        server = RedisServer(tmp_path, port=taken)
        try:
            with pytest.raises(RuntimeError, match="Address already in use"):
                server.start()
            assert server.port == taken
        finally:
            server.stop()


def test_a_cluster_that_fails_to_form_leaves_no_process(tmp_path: Path) -> None:
    cluster = RedisClusterProcesses(tmp_path, primaries=3, replicas=1)
    last = cluster.nodes[-1]
    with listening_socket() as thief:
        last.port, last.fixed_port = thief.getsockname()[1], True  # it cannot start
        with pytest.raises(RuntimeError):
            cluster.start()
    assert all(node.proc is None for node in cluster.nodes), "started nodes were left running"


def test_a_restart_keeps_its_ports(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, cluster_bus=True).start()
    ports = (server.port, server.bus_port)
    server.stop()
    try:
        server.start()
        assert (server.port, server.bus_port) == ports
    finally:
        server.stop()


def test_gunicorn_on_a_port_taken_after_the_pick_moves_to_another(tmp_path: Path) -> None:
    server = Gunicorn({"KV_LOG_LEVEL": "WARNING"}, tmp_path / "gunicorn.log")
    with started_on_a_stolen_port(server) as taken:
        assert server.port != taken
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 200
        connection.close()
        assert "Connection in use" in server.logs()
