"""Cluster-only behaviour, on a cluster of its own (these tests move slots and
stop shards): MOVED refreshes the slot map, ASK is followed during a slot
migration, /list reaches every primary, and a cluster that is down answers
503 within a bounded time and recovers by itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from kv import Config
from kv.store import RedisStore
from redis.crc import key_slot
from tests.kit.cluster import RedisClusterProcesses, command
from tests.kit.kvapi import Api, list_pages, merged


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterProcesses]:
    cluster = RedisClusterProcesses(tmp_path_factory.mktemp("own-cluster")).start()
    yield cluster
    cluster.stop()


def cluster_config(cluster: RedisClusterProcesses, prefix: str, **settings: Any) -> Config:
    """The app's configuration for this module's cluster; short timeouts keep
    the tests that stop shards quick."""
    defaults: dict[str, Any] = {"redis_connect_timeout_s": 0.3, "redis_command_timeout_s": 0.5}
    return Config(redis_url=cluster.url, key_prefix=prefix).replace(
        redis_mode="cluster", **{**defaults, **settings}
    )


@pytest.fixture
def cluster_api(make_api: Any, cluster: RedisClusterProcesses, prefix: str) -> Api:
    api: Api = make_api(cluster_config(cluster, prefix))
    return api


def owner(cluster: RedisClusterProcesses, slot: int) -> int:
    with cluster.client() as client:
        return int(client.nodes_manager.get_node_from_slot(slot).port)


def other_primary(cluster: RedisClusterProcesses, port: int) -> int:
    return next(p for p in cluster.primary_ports() if p != port)


def test_redis_py_never_retries_on_its_own(cluster: RedisClusterProcesses, config: Config) -> None:
    # Retries live in RedisStore._call alone: redis-py's command-level and
    # connection-level retries would nest inside it and multiply the worst case.
    for url, mode in [(cluster.url, "cluster"), (config.redis_url, config.redis_mode)]:
        store = RedisStore(Config(redis_url=url, redis_mode=mode))
        store.ping()
        clients = [store.redis]
        if mode == "cluster":
            assert store.redis.retry.get_retries() == 0
            clients = [node.redis_connection for node in store.redis.get_nodes()]
        for client in clients:
            assert client.get_retry().get_retries() == 0
        store.close()


def test_write_after_a_slot_moved_follows_moved_and_refreshes_the_map(
    cluster: RedisClusterProcesses, cluster_api: Api, prefix: str
) -> None:
    assert cluster_api.post("/write", json={"key": "moving", "value": "1"}).status_code == 200
    slot = key_slot((prefix + "moving").encode())
    source = owner(cluster, slot)
    target = other_primary(cluster, source)
    # The slot changes hands behind the service's back: its slot map is stale.
    cluster.begin_slot_migration(slot, source, target)
    cluster.finish_slot_migration(slot, source, target)

    assert cluster_api.post("/write", json={"key": "moving", "value": "2"}).status_code == 200
    assert cluster_api.post("/write", json={"key": "moving", "value": "3"}).status_code == 200
    assert command(target, "GET", prefix + "moving") == "3"
    assert cluster_api.get("/list").json == {"moving": "3"}
    assert cluster_api.delete("/delete?key=moving").status_code == 200


def test_write_during_a_slot_migration_follows_ask(
    cluster: RedisClusterProcesses, cluster_api: Api, prefix: str
) -> None:
    slot = key_slot((prefix + "new-key").encode())
    source = owner(cluster, slot)
    target = other_primary(cluster, source)
    cluster.begin_slot_migration(slot, source, target)
    try:
        # The source does not hold the key, so it answers ASK: the write must
        # land on the importing node, under ASKING.
        response = cluster_api.post("/write", json={"key": "new-key", "value": "asked"})
        assert response.status_code == 200
        assert command(target, "GET", prefix + "new-key", asking=True) == "asked"
        assert command(source, "CLUSTER", "COUNTKEYSINSLOT", str(slot)) == 0
    finally:
        cluster.finish_slot_migration(slot, source, target)
    assert cluster_api.get("/list").json == {"new-key": "asked"}


def test_list_reads_every_primary(
    cluster: RedisClusterProcesses, cluster_api: Api, prefix: str
) -> None:
    pairs = {f"k{i}": f"v{i}" for i in range(60)}
    for key, value in pairs.items():
        assert cluster_api.post("/write", json={"key": key, "value": value}).status_code == 200
    holders = {owner(cluster, key_slot((prefix + key).encode())) for key in pairs}
    assert holders == set(cluster.primary_ports()), "the keys should span every shard"
    assert cluster_api.get("/list").json == pairs
    assert merged(list_pages(cluster_api, limit=7)) == pairs


def test_cluster_down_gives_bounded_503_and_recovers(
    cluster: RedisClusterProcesses, cluster_api: Api
) -> None:
    assert cluster_api.post("/write", json={"key": "before", "value": "v"}).status_code == 200
    # A whole shard (primary and replica) is lost: the cluster stops serving
    # (cluster-require-full-coverage), every node answers CLUSTERDOWN.
    primary = other_primary(cluster, cluster.nodes[0].port)
    replica = cluster.replica_port_of(primary)
    cluster.kill(replica)
    cluster.kill(primary)
    survivor = cluster.nodes[0].port
    deadline = time.monotonic() + 15
    while "cluster_state:fail" not in str(command(survivor, "CLUSTER", "INFO")):
        assert time.monotonic() < deadline, "the cluster never noticed the lost shard"
        time.sleep(0.1)

    for method, path, kwargs in [
        ("POST", "/write", {"json": {"key": "during", "value": "v"}}),
        ("GET", "/", {}),
        ("GET", "/readyz", {}),
        ("GET", "/list", {}),
        ("DELETE", "/delete?key=before", {}),
    ]:
        started = time.monotonic()
        response = cluster_api.request(method, path, **kwargs)
        assert response.status_code == 503, (method, path, response.get_data())
        assert response.json["code"] == "redis_unavailable"
        # Three attempts of (connect 0.3 s + command 0.5 s) plus backoff, and
        # redis-py's 0.25 s pause after CLUSTERDOWN: never a hung worker.
        assert time.monotonic() - started < 5.0, (method, path)
    assert cluster_api.get("/healthz").status_code == 200

    cluster.restart(primary)
    cluster.restart(replica)
    cluster.wait_until_healthy(20)
    deadline = time.monotonic() + 10
    while cluster_api.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "no automatic recovery"
        time.sleep(0.1)
    assert cluster_api.post("/write", json={"key": "after", "value": "v"}).status_code == 200


def test_write_with_wait_follows_a_primary_that_became_a_replica(
    make_api: Any, cluster: RedisClusterProcesses, prefix: str
) -> None:
    # A manual failover (what Memorystore does for maintenance) turns the old
    # primary into a replica at the same address. The app's slot map still
    # sends the key there: SET answers MOVED and the WAIT pipelined after it
    # answers "WAIT cannot be used with replica instances". That WAIT error
    # once hid the MOVED, so the slot map was never refreshed and every write
    # to the shard was a 503 until something else refreshed it.
    api: Api = make_api(
        # WAIT's timeout must stay under the command timeout (Config refuses it otherwise).
        cluster_config(
            cluster,
            prefix,
            write_min_replicas=1,
            write_replica_timeout_ms=1000,
            redis_command_timeout_s=1.5,
        )
    )
    slot = key_slot((prefix + "moving").encode())
    assert api.post("/write", json={"key": "moving", "value": "before"}).status_code == 200
    cluster.manual_failover(owner(cluster, slot))

    response = api.post("/write", json={"key": "moving", "value": "after"})
    assert response.status_code == 200, response.get_data(as_text=True)
    with cluster.client() as client:
        assert client.get(prefix + "moving") == "after"


def test_readiness_survives_a_primary_that_became_a_replica(
    make_api: Any, cluster: RedisClusterProcesses, prefix: str
) -> None:
    # /readyz sends WAIT 0 0 to every primary the app knows. After a manual
    # failover one of them is a replica, which refuses WAIT. Readiness must
    # refresh the slot map and pass: a quiet night with no write to that shard
    # would otherwise turn every pod unready at once.
    api: Api = make_api(cluster_config(cluster, prefix, write_min_replicas=1))
    assert api.get("/readyz").status_code == 200
    cluster.manual_failover(cluster.primary_ports()[0])

    response = api.get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
