"""Redis access, behind one small interface.

Routes only see `Store`; standalone Redis (local runs, tests) and Redis
Cluster (Memorystore in production) differ only inside this module. Keys live
under a prefix: the store never lists or deletes a key it did not write.
Any Redis failure becomes StoreUnavailable (HTTP 503), never a crash.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import redis
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.credentials import CredentialProvider
from redis.retry import Retry

from kv.config import Config
from kv.errors import StoreUnavailable, WriteNotDurable

log = logging.getLogger(__name__)

RETRIES = 2
# Failures that a moment later may not repeat: lost or refused connections,
# timeouts, a replica promoted under us, a cluster that is re-forming.
TRANSIENT = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.MasterDownError,
)

T = TypeVar("T")

Pairs = list[tuple[str, str]]


class Store(Protocol):
    """What the HTTP layer needs from storage."""

    def ping(self) -> None: ...

    def put(self, key: str, value: str) -> None: ...

    def put_many(self, pairs: Sequence[tuple[str, str]]) -> None: ...

    def delete(self, key: str) -> bool: ...

    def scan(self, cursor: str, count: int) -> tuple[Pairs, str]:
        """One step of iteration: pairs and the next cursor ("0" when done)."""
        ...

    def close(self) -> None: ...


class InvalidCursor(ValueError):
    """A pagination cursor that this store did not hand out."""


def glob_escape(text: str) -> str:
    """Escapes Redis glob metacharacters so a prefix matches only itself."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class FileCredentialProvider(CredentialProvider):
    """Username and a password read from a mounted file at each new connection,
    so a rotated secret takes effect without a restart."""

    def __init__(self, username: str | None, password_file: str) -> None:
        self.username = username
        self.password_file = password_file

    def get_credentials(self) -> tuple[str] | tuple[str, str]:
        with open(self.password_file, encoding="utf-8") as handle:
            password = handle.read().strip()
        return (self.username, password) if self.username else (password,)


def credential_provider(config: Config) -> CredentialProvider | None:
    if config.redis_auth == "password":
        assert config.redis_password_file is not None  # Config.check guarantees it
        return FileCredentialProvider(config.redis_username, config.redis_password_file)
    return None


class RedisStore:
    """Store over standalone Redis or Redis Cluster, chosen by config.redis_mode."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.prefix = config.key_prefix
        self.match = glob_escape(self.prefix) + "*"
        self.cluster = config.redis_mode == "cluster"
        options: dict[str, Any] = {
            "socket_connect_timeout": config.redis_connect_timeout_s,
            "socket_timeout": config.redis_command_timeout_s,
            "decode_responses": True,
            "encoding_errors": "replace",
            "health_check_interval": 30,
            "max_connections": config.redis_max_connections,
            "credential_provider": credential_provider(config),
        }
        if config.redis_tls_ca_file:
            options["ssl_ca_certs"] = config.redis_tls_ca_file
            options["ssl_cert_reqs"] = "required"
        # redis-py's own retries nest (connect inside command), multiplying the
        # worst case; this store retries once, at the top, with a known bound.
        no_retry = Retry(NoBackoff(), retries=0)
        if self.cluster:
            self.redis: Any = RedisCluster.from_url(config.redis_url, retry=no_retry, **options)
        else:
            self.redis = redis.Redis.from_url(config.redis_url, retry=no_retry, **options)
        self.backoff = ExponentialWithJitterBackoff(base=0.01, cap=0.2)

    # -- helpers -------------------------------------------------------------

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
            except TRANSIENT as error:
                if attempt == RETRIES:
                    log.warning(
                        "redis %s failed after %d attempts: %s: %s",
                        what,
                        attempt + 1,
                        type(error).__name__,
                        error,
                    )
                    raise StoreUnavailable() from error
                time.sleep(self.backoff.compute(attempt + 1))
            except redis.RedisError as error:
                log.warning("redis %s failed: %s: %s", what, type(error).__name__, error)
                raise StoreUnavailable() from error
        raise AssertionError("unreachable")

    def _primaries(self) -> list[ClusterNode]:
        return sorted(self.redis.get_primaries(), key=lambda node: node.name)

    # -- Store ---------------------------------------------------------------

    def ping(self) -> None:
        if self.cluster:
            self._call("ping", lambda: self.redis.ping(target_nodes=RedisCluster.PRIMARIES))
        else:
            self._call("ping", self.redis.ping)

    def put(self, key: str, value: str) -> None:
        self.put_many([(key, value)])

    def put_many(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._call("write", lambda: self._write(pairs))

    def _write(self, pairs: Sequence[tuple[str, str]]) -> None:
        wanted = self.config.write_min_replicas
        if not self.cluster:
            self._write_on(self.redis, pairs, wanted)
            return
        by_node: dict[str, list[tuple[str, str]]] = {}
        for key, value in pairs:
            node = self.redis.get_node_from_key(self.prefix + key)
            by_node.setdefault(node.name, []).append((key, value))
        for name, node_pairs in by_node.items():
            client = self.redis.get_redis_connection(self.redis.get_node(node_name=name))
            self._write_on(client, node_pairs, wanted)

    def _write_on(self, client: redis.Redis, pairs: Sequence[tuple[str, str]], wanted: int) -> None:
        # SET and WAIT travel on one connection: WAIT counts the replicas that
        # acknowledged this connection's writes.
        pipe = client.pipeline(transaction=False)
        for key, value in pairs:
            pipe.set(self.prefix + key, value)
        if wanted:
            pipe.execute_command("WAIT", wanted, self.config.write_replica_timeout_ms)  # type: ignore[no-untyped-call]
        results = pipe.execute()
        if wanted and int(results[-1]) < wanted:
            raise WriteNotDurable(
                f"write reached the primary but only {results[-1]} of {wanted} replica(s) "
                "acknowledged it in time; it may not be durable, retry the request"
            )

    def delete(self, key: str) -> bool:
        return bool(self._call("delete", lambda: self.redis.delete(self.prefix + key)))

    def scan(self, cursor: str, count: int) -> tuple[Pairs, str]:
        return self._call("scan", lambda: self._scan(cursor, count))

    def _scan(self, cursor: str, count: int) -> tuple[Pairs, str]:
        if self.cluster:
            # Cursor "<primary index>.<node cursor>": every primary is scanned in turn.
            index, node_cursor = _parse_cluster_cursor(cursor)
            primaries = self._primaries()
            if index >= len(primaries):
                raise InvalidCursor(cursor)
            client = self.redis.get_redis_connection(primaries[index])
            next_cursor, keys = client.scan(node_cursor, match=self.match, count=count)
            pairs = self._values(keys)
            if int(next_cursor) != 0:
                return pairs, f"{index}.{next_cursor}"
            return pairs, (f"{index + 1}.0" if index + 1 < len(primaries) else "0")
        next_cursor, keys = self.redis.scan(_parse_cursor(cursor), match=self.match, count=count)
        return self._values(keys), str(next_cursor)

    def _values(self, keys: list[str]) -> Pairs:
        if not keys:
            return []
        values = self.redis.mget_nonatomic(keys) if self.cluster else self.redis.mget(keys)
        cut = len(self.prefix)
        # A key deleted between SCAN and MGET comes back as None: skip it.
        return [(k[cut:], v) for k, v in zip(keys, values, strict=True) if v is not None]

    def close(self) -> None:
        self.redis.close()


def page(store: Store, cursor: str, limit: int) -> tuple[Pairs, str]:
    """One page for GET /list?limit=: SCAN steps until at least `limit` pairs
    or the end. SCAN counts are hints, so a page may hold somewhat more than
    `limit` (never more than about twice); it is short only when it is the last.
    """
    pairs: Pairs = []
    while True:
        step, cursor = store.scan(cursor, limit)
        pairs.extend(step)
        if cursor == "0" or len(pairs) >= limit:
            return pairs, cursor


def _parse_cursor(cursor: str) -> int:
    if not cursor.isdigit() or len(cursor) > 20:
        raise InvalidCursor(cursor)
    return int(cursor)


def _parse_cluster_cursor(cursor: str) -> tuple[int, int]:
    if cursor == "0":
        return 0, 0
    index, dot, node_cursor = cursor.partition(".")
    if not dot or not index.isdigit() or len(index) > 4:
        raise InvalidCursor(cursor)
    return int(index), _parse_cursor(node_cursor)
