"""The test kit's redis-server starter survives the race every free-port
picker has: another process may bind the port between the pick and the
start (CI once lost a whole session's cluster to it)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import redis

from tools.testkit.processes import RedisServer


def listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_a_port_taken_after_the_pick_is_picked_again(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, cluster_bus=True)
    with listening_socket() as thief:
        taken = thief.getsockname()[1]
        server.port = taken  # as if another process bound it after free_port()
        server.start()
        try:
            assert server.port != taken
            assert redis.Redis(port=server.port).ping()
            assert "Address already in use" in server.log_path.read_text()
        finally:
            server.stop()


def test_a_port_the_caller_chose_is_never_changed(tmp_path: Path) -> None:
    with listening_socket() as thief:
        taken = thief.getsockname()[1]
        with pytest.raises(RuntimeError, match="Address already in use"):
            RedisServer(tmp_path, port=taken).start()


def test_a_restart_keeps_its_ports(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, cluster_bus=True).start()
    ports = (server.port, server.bus_port)
    server.stop()
    try:
        server.start()
        assert (server.port, server.bus_port) == ports
    finally:
        server.stop()
