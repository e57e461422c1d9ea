"""Redis access, behind one small interface.

Routes only see `Store`; standalone Redis (local runs, tests) and Redis
Cluster (Memorystore in production) differ only inside this module. Keys live
under a prefix: the store never lists or deletes a key it did not write.
Any Redis failure becomes StoreUnavailable (HTTP 503), never a crash.

Retries happen in one place, `RedisStore._call`, with a known bound. redis-py
retries on its own at two levels (the connection and, for RedisCluster, the
command); both are switched off because they nest and multiply the worst
case. What redis-py still does inside one attempt is follow MOVED and ASK
redirections (at most 16) and refresh its slot map after a connection error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

import redis
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.client import Redis
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import AskError, MovedError, RedisClusterException
from redis.retry import Retry

from kv.config import Config
from kv.credentials import credential_provider
from kv.errors import StoreUnavailable, WriteNotDurable

log = logging.getLogger(__name__)

RETRIES = 2
# Redirections one write follows before it counts as a failed attempt.
REDIRECTS = 5
# Failures that a moment later may not repeat: lost or refused connections,
# timeouts, a replica promoted under us, a cluster that is re-forming or
# resharding (MOVED/ASK past the redirect limit), a slot map being rebuilt.
TRANSIENT: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ClusterDownError,
    AskError,
    RedisClusterException,
)
# Memorystore IAM answers AUTH with these when its backend is overloaded or
# failing; its documentation asks clients to retry them with backoff.
TRANSIENT_MESSAGES = ("ERR_IAM_EXHAUSTED", "ERR_IAM_OTHER")

T = TypeVar("T")

MAX_CURSOR = 2**64 - 1
# The shortest value prefix /list reads in its first round trip (see RedisStore.pairs).
MIN_HEAD = 64
# SCAN steps one /list page may take (each visits about `limit` keys, ours or not).
PAGE_MAX_SCANS = 32

Pairs = dict[str, str]  # key (without the prefix) -> value, in SCAN order
Keys = list[str]
# Commands written as RESP by hand (see _pipelined): STRLEN <key>, and
# GETRANGE <key> before its two offsets.
_STRLEN = b"*2\r\n$6\r\nSTRLEN\r\n$%d\r\n%b\r\n"
_GETRANGE = b"*4\r\n$8\r\nGETRANGE\r\n$%d\r\n%b\r\n"


class Store(Protocol):
    """What the HTTP layer needs from storage."""

    def ping(self) -> None: ...

    def ready(self) -> None:
        """ping, plus whatever else must hold before this instance takes traffic."""
        ...

    def put(self, key: str, value: str) -> None: ...

    def put_many(self, pairs: Sequence[tuple[str, str]]) -> None: ...

    def delete(self, key: str) -> bool: ...

    def scan(self, cursor: str, count: int) -> tuple[Keys, str]:
        """One step of iteration: our keys (as stored) and the next cursor ("0" when done)."""
        ...

    def pairs(self, keys: Keys, budget: int) -> Iterator[Pairs]:
        """The pairs of `keys`, in batches of at most `budget` bytes of values
        (a single larger value is a batch of its own)."""
        ...

    def close(self) -> None: ...


class InvalidCursor(ValueError):
    """A pagination cursor that this store did not hand out."""


def glob_escape(text: str) -> str:
    """Escapes Redis glob metacharacters so a prefix matches only itself."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def is_transient(error: Exception) -> bool:
    if isinstance(error, WriteNotDurable):
        return False
    if isinstance(error, TRANSIENT):
        return True
    return isinstance(error, redis.ResponseError) and any(
        marker in str(error) for marker in TRANSIENT_MESSAGES
    )


class RedisStore:
    """Store over standalone Redis or Redis Cluster, chosen by config.redis_mode.

    The client is made on first use: RedisCluster reads the slot map when it
    is built, and a Redis that is down at start must give 503s, not a
    process that cannot boot.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.prefix = config.key_prefix
        self.match = glob_escape(self.prefix) + "*"
        self.cluster = config.redis_mode == "cluster"
        self.backoff = ExponentialWithJitterBackoff(base=0.01, cap=0.2)
        self._lock = threading.Lock()
        self._client: Any = None
        self._shards: tuple[frozenset[str], list[ClusterNode]] = (frozenset(), [])

    # -- connections ---------------------------------------------------------

    @property
    def redis(self) -> Any:
        """The redis-py client (redis.Redis or RedisCluster), made on first use."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._connect()
                client = self._client
        return client

    def _connect(self) -> Any:
        config = self.config
        options: dict[str, Any] = {
            "socket_connect_timeout": config.redis_connect_timeout_s,
            "socket_timeout": config.redis_command_timeout_s,
            "decode_responses": True,
            "encoding_errors": "replace",
            "health_check_interval": 30,
            # Per node in cluster mode; gunicorn.conf.py checks it covers every thread.
            "max_connections": config.redis_max_connections,
            "credential_provider": credential_provider(config),
        }
        if config.redis_tls_ca_file:
            options["ssl_ca_certs"] = config.redis_tls_ca_file
            options["ssl_cert_reqs"] = "required"
            options["ssl_check_hostname"] = config.redis_tls_check_hostname
        no_retry = Retry(NoBackoff(), retries=0)
        if self.cluster:
            # `retry` here is RedisCluster's command-level retry (3 by default).
            return RedisCluster.from_url(config.redis_url, retry=no_retry, **options)
        return redis.Redis.from_url(config.redis_url, retry=no_retry, **options)

    def _refresh_slot_map(self) -> None:
        """After a failure in cluster mode: re-read the topology so the retry
        goes to the promoted replica or the slot's new owner."""
        client = self._client
        if not self.cluster or client is None:
            return
        try:
            client.nodes_manager.initialize()
        except (redis.RedisError, RedisClusterException) as error:
            log.info("redis slot map refresh failed: %s: %s", type(error).__name__, error)

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Runs fn, retrying transient failures a bounded number of times.

        Every command this store sends is idempotent (SET of a given value,
        MGET, SCAN, PING, DEL), so a retry after a lost reply is safe. The
        worst case is RETRIES + 1 attempts of connect + command timeout, plus
        at most RETRIES x 0.2 s of backoff; then the client gets a 503.
        """
        for attempt in range(RETRIES + 1):
            try:
                return fn()
            except WriteNotDurable:
                raise
            except (redis.RedisError, RedisClusterException) as error:
                if not is_transient(error):
                    log.warning("redis %s failed: %s: %s", what, type(error).__name__, error)
                    raise StoreUnavailable() from error
                if attempt == RETRIES:
                    log.warning(
                        "redis %s failed after %d attempts: %s: %s",
                        what,
                        attempt + 1,
                        type(error).__name__,
                        error,
                    )
                    raise StoreUnavailable() from error
                self._refresh_slot_map()
                time.sleep(self.backoff.compute(attempt + 1))
        raise AssertionError("unreachable")

    # -- Store ---------------------------------------------------------------

    def ping(self) -> None:
        if self.cluster:
            self._call("ping", lambda: self.redis.ping(target_nodes=RedisCluster.PRIMARIES))
        else:
            self._call("ping", lambda: self.redis.ping())

    def ready(self) -> None:
        """PING every primary and, when writes wait for replicas, prove that
        this Redis allows WAIT: one that refuses it (NOPERM) would fail every
        write, so the instance must not take traffic (a rollout stalls instead)."""
        self.ping()
        if self.config.write_min_replicas:
            self._call("ping", self._probe_wait)

    def _probe_wait(self) -> None:
        clients = (
            [self.redis.get_redis_connection(node) for node in self.redis.get_primaries()]
            if self.cluster
            else [self.redis]
        )
        for client in clients:
            try:
                client.execute_command("WAIT", 0, 0)  # returns at once; needs only the permission
            except redis.exceptions.NoPermissionError as error:
                raise WriteNotDurable(
                    "this Redis refuses WAIT, which KV_WRITE_MIN_REPLICAS="
                    f"{self.config.write_min_replicas} needs: no write could be acknowledged"
                ) from error
            except redis.ResponseError as error:
                if "replica" not in str(error):
                    raise
                # A primary in our slot map has become a replica (a failover,
                # say for maintenance); PING does not notice, WAIT does. As a
                # transient error it refreshes the slot map and retries;
                # otherwise every idle pod would stay unready.
                raise redis.exceptions.TryAgainError(f"stale slot map: {error}") from error

    def put(self, key: str, value: str) -> None:
        self.put_many([(key, value)])

    def put_many(self, pairs: Sequence[tuple[str, str]]) -> None:
        prefixed = [(self.prefix + key, value) for key, value in pairs]
        if self.cluster:
            self._call("write", lambda: self._write_cluster(prefixed))
        elif len(prefixed) == 1 and not self.config.write_min_replicas:
            # The common case in one command, without a pipeline's overhead.
            key, value = prefixed[0]
            self._call("write", lambda: self.redis.set(key, value))
        else:
            self._call("write", lambda: self._raise_first(self._write_on(self.redis, prefixed)))

    def _write_cluster(self, pairs: Sequence[tuple[str, str]]) -> None:
        """SET (+ WAIT) each shard's pairs on that shard's primary, following
        MOVED (slot map refresh) and ASK (a slot half-way through migration)."""
        client = self.redis
        pending: list[tuple[str, str, str | None]] = [(k, v, None) for k, v in pairs]
        for _ in range(REDIRECTS):
            batches: dict[tuple[str, bool], list[tuple[str, str]]] = {}
            for key, value, asked_node in pending:
                node = asked_node or client.get_node_from_key(key).name
                batches.setdefault((node, asked_node is not None), []).append((key, value))
            pending = []
            moved = False
            for (name, asking), batch in batches.items():
                node = client.get_node(node_name=name)
                if node is None:  # an ASK target this client has not discovered yet
                    raise redis.exceptions.TryAgainError(f"unknown node {name}")
                failures = self._write_on(client.get_redis_connection(node), batch, asking)
                for key, value, error in failures:
                    if isinstance(error, MovedError):
                        moved = True
                        pending.append((key, value, None))
                    elif isinstance(error, AskError):
                        pending.append((key, value, f"{error.host}:{error.port}"))
                    else:
                        raise error
            if not pending:
                return
            if moved:
                client.nodes_manager.initialize()
        raise redis.exceptions.TryAgainError(f"write still redirected after {REDIRECTS} tries")

    def _write_on(
        self, client: Redis, pairs: Sequence[tuple[str, str]], asking: bool = False
    ) -> list[tuple[str, str, Exception]]:
        """SETs on one connection, then WAIT for replicas when configured.

        Returns the pairs whose SET failed, with the error (redirections
        among them); raises WriteNotDurable when too few replicas confirmed
        the SETs that succeeded.
        """
        wanted = self.config.write_min_replicas
        # SET and WAIT travel on one connection: WAIT counts the replicas that
        # acknowledged this connection's writes.
        pipe = client.pipeline(transaction=False)
        for key, value in pairs:
            if asking:
                pipe.execute_command("ASKING")  # type: ignore[no-untyped-call]
            pipe.set(key, value)
        if wanted:
            pipe.execute_command("WAIT", wanted, self.config.write_replica_timeout_ms)  # type: ignore[no-untyped-call]
        results = pipe.execute(raise_on_error=False)
        set_results = results[1::2] if asking else results
        failed = [
            (key, value, result)
            for (key, value), result in zip(pairs, set_results, strict=False)
            if isinstance(result, Exception)
        ]
        # With no SET done here there is nothing to wait for, and WAIT's own
        # error says nothing new: on a primary turned replica it is "WAIT
        # cannot be used with replica instances", which once hid the SETs'
        # MOVED, so the slot map was never refreshed. The failures go back
        # to the caller, which follows the redirections.
        if wanted and len(failed) < len(pairs):
            acknowledged = results[-1]
            if isinstance(acknowledged, redis.exceptions.NoPermissionError):
                log.error("this Redis refuses WAIT; set KV_WRITE_MIN_REPLICAS=0 or allow WAIT")
            if isinstance(acknowledged, Exception):
                raise acknowledged
            if int(acknowledged) < wanted:
                raise WriteNotDurable(
                    f"write reached the primary but only {acknowledged} of {wanted} replica(s) "
                    "acknowledged it in time; it may not be durable, retry the request"
                )
        return failed

    @staticmethod
    def _raise_first(failures: list[tuple[str, str, Exception]]) -> None:
        if failures:
            raise failures[0][2]

    def delete(self, key: str) -> bool:
        return bool(self._call("delete", lambda: self.redis.delete(self.prefix + key)))

    def scan(self, cursor: str, count: int) -> tuple[Keys, str]:
        return self._call("scan", lambda: self._scan(cursor, count))

    def _scan(self, cursor: str, count: int) -> tuple[Keys, str]:
        client = self.redis
        if not self.cluster:
            next_cursor, keys = client.scan(_parse_cursor(cursor), match=self.match, count=count)
            return keys, str(next_cursor)
        # Cursor "<shard index>.<node cursor>": every shard's primary is scanned in turn.
        index, node_cursor = _parse_cluster_cursor(cursor)
        shards = self._shard_primaries()
        if index >= len(shards):
            raise InvalidCursor(cursor)
        node_client = client.get_redis_connection(shards[index])
        next_cursor, keys = node_client.scan(node_cursor, match=self.match, count=count)
        if int(next_cursor) != 0:
            return keys, f"{index}.{next_cursor}"
        return keys, (f"{index + 1}.0" if index + 1 < len(shards) else "0")

    def pairs(self, keys: Keys, budget: int) -> Iterator[Pairs]:
        """Values are read so that one read holds at most `budget` bytes of
        them: with values near the 1 MiB limit, one MGET of a 1,000-key SCAN
        batch would hold about 1 GiB.

        One round trip reads the first budget/len(keys) bytes of every value
        (GETRANGE); a value shorter than that is whole. The few that may be
        longer (or are missing, empty or not strings) are sized by STRLEN and
        read in MGETs of at most `budget` bytes.
        """
        if not keys:
            return
        if len(keys) * self.config.max_value_bytes <= budget:
            yield self._call("scan", lambda: self._values(keys))  # no read can exceed the budget
            return
        head = budget // len(keys)
        if head < MIN_HEAD:  # too short to hold most values whole: size every one
            yield from self._sized(keys, budget)
            return
        whole, unsure = self._call("scan", lambda: self._heads(keys, head))
        if whole:
            yield whole
        if unsure:
            yield from self._sized(unsure, budget)

    def _sized(self, keys: Keys, budget: int) -> Iterator[Pairs]:
        sizes = self._call("scan", lambda: self._on_nodes(keys, self._strlens))
        batch: Keys = []
        total = 0
        for key, size in zip(keys, sizes, strict=True):
            if batch and total + size > budget:
                yield self._call("scan", lambda batch=batch: self._values(batch))  # type: ignore[misc]
                batch, total = [], 0
            batch.append(key)
            total += size
        yield self._call("scan", lambda: self._values(batch))

    def _heads(self, keys: Keys, head: int) -> tuple[Pairs, Keys]:
        """The pairs whose value is shorter than `head` bytes, and the other keys."""
        heads = self._on_nodes(keys, lambda client, some: self._getranges(client, some, head))
        cut = len(self.prefix)
        whole: Pairs = {}
        unsure: Keys = []
        for key, value in zip(keys, heads, strict=True):
            # An empty reply is a missing key or an empty value: MGET tells them apart.
            if value and len(value) < head:
                whole[key[cut:]] = value.decode("utf-8", "replace")
            else:
                unsure.append(key)
        return whole, unsure

    def _on_nodes(self, keys: Keys, read: Callable[[Redis, Keys], list[T]]) -> list[T]:
        """read(client, keys) on the node holding each key, one round trip per
        node; the results in the order of `keys`."""
        if not self.cluster:
            return read(self.redis, keys)
        client = self.redis
        by_node: dict[str, list[int]] = {}
        for index, key in enumerate(keys):
            by_node.setdefault(client.get_node_from_key(key).name, []).append(index)
        results: list[Any] = [None] * len(keys)
        for name, indexes in by_node.items():
            node = client.get_redis_connection(client.get_node(node_name=name))
            for index, result in zip(indexes, read(node, [keys[i] for i in indexes]), strict=True):
                results[index] = result
        return results

    def _strlens(self, client: Redis, keys: Keys) -> list[int]:
        # A slot moving under us (MOVED/ASK): assume the largest value.
        return [
            self.config.max_value_bytes if isinstance(size, Exception) else size
            for size in _pipelined(client, [_STRLEN % (len(k), k) for k in _encoded(keys)])
        ]

    def _getranges(self, client: Redis, keys: Keys, head: int) -> list[bytes | None]:
        end = str(head - 1).encode()
        tail = b"$1\r\n0\r\n$%d\r\n%b\r\n" % (len(end), end)
        commands = [_GETRANGE % (len(k), k) + tail for k in _encoded(keys)]
        # Errors (a slot moving, a key that is not a string) go the careful way.
        return [
            None if isinstance(value, Exception) else value
            for value in _pipelined(client, commands, decode=False)
        ]

    def _shard_primaries(self) -> list[ClusterNode]:
        """Primaries ordered by the first slot they serve, so a shard keeps its
        index in the cursor when a failover replaces its primary."""
        client = self.redis
        names = frozenset(node.name for node in client.get_primaries())
        known, ordered = self._shards
        if names == known:
            return ordered
        first_slot: dict[str, int] = {}
        for slot, nodes in client.nodes_manager.slots_cache.items():
            if nodes and nodes[0].name in names:
                first_slot[nodes[0].name] = min(slot, first_slot.get(nodes[0].name, slot))
        ordered = sorted(
            (node for node in client.get_primaries() if node.name in first_slot),
            key=lambda node: first_slot[node.name],
        )
        self._shards = (names, ordered)
        return ordered

    def _values(self, keys: Keys) -> Pairs:
        if not keys:
            return {}
        values = self.redis.mget_nonatomic(keys) if self.cluster else self.redis.mget(keys)
        cut = len(self.prefix)
        pairs = dict(zip([k[cut:] for k in keys], values, strict=True))
        if None in values:  # a key deleted between SCAN and MGET: skip it
            pairs = {k: v for k, v in pairs.items() if v is not None}
        return pairs

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _encoded(keys: Keys) -> list[bytes]:
    return [key.encode() for key in keys]  # the client's encoding (UTF-8)


def _pipelined(client: Redis, commands: list[bytes], decode: bool = True) -> list[Any]:
    """Sends RESP-encoded commands on one connection in one write and reads
    every reply (a Redis error as the exception, not raised). /list sends one
    command per key; redis-py's pipeline costs about three times as much per
    command and its packer alone about 2.5 µs."""
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        connection.send_packed_command([b"".join(commands)])  # type: ignore[no-untyped-call]
        replies: list[Any] = []
        for _ in commands:
            try:
                replies.append(connection.read_response(disable_decoding=not decode))
            except redis.ResponseError as error:
                replies.append(error)
        return replies
    except BaseException:
        connection.disconnect()  # type: ignore[no-untyped-call]  # replies may be left unread
        raise
    finally:
        pool.release(connection)


def page_keys(store: Store, cursor: str, limit: int) -> tuple[Keys, str]:
    """The keys of one page for GET /list?limit=: SCAN steps until at least
    `limit` keys, the end, or PAGE_MAX_SCANS steps. SCAN counts are hints, so
    a page may hold somewhat more than `limit` (never more than about twice).
    A page may be short, even empty, when most keys in Redis are not ours: the
    step bound keeps one request from walking the whole key space; the next
    cursor goes on.
    """
    keys: Keys = []
    for _ in range(PAGE_MAX_SCANS):
        step, cursor = store.scan(cursor, limit)
        keys.extend(step)
        if cursor == "0" or len(keys) >= limit:
            break
    return keys, cursor


def _parse_cursor(cursor: str) -> int:
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    # Redis cursors are unsigned 64-bit; Redis answers a larger one with an error.
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 20:
        raise InvalidCursor(cursor)
    value = int(cursor)
    if value > MAX_CURSOR:
        raise InvalidCursor(cursor)
    return value


def _parse_cluster_cursor(cursor: str) -> tuple[int, int]:
    if cursor == "0":
        return 0, 0
    index, dot, node_cursor = cursor.partition(".")
    if not dot or not (index.isascii() and index.isdigit()) or len(index) > 4:
        raise InvalidCursor(cursor)
    return int(index), _parse_cursor(node_cursor)
