"""Service configuration: one typed object, read from the environment once.

Every setting has a default that works for local runs; production overrides
them through the Helm chart. A bad value stops the process at start with a
message that names the variable, rather than failing on the first request.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from redis.connection import parse_url

T = TypeVar("T")

MiB = 1024 * 1024


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class Config:
    """All runtime settings of the service."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_mode: str = "standalone"  # standalone | cluster
    redis_tls_ca_file: str | None = None
    redis_tls_check_hostname: bool = True
    redis_auth: str = "none"  # none | password | iam
    redis_username: str | None = None
    redis_password_file: str | None = None
    redis_connect_timeout_s: float = 1.0
    redis_command_timeout_s: float = 1.0
    redis_max_connections: int = 32
    write_min_replicas: int = 0
    write_replica_timeout_ms: int = 200
    key_prefix: str = "kv:"
    max_key_bytes: int = 1024
    max_value_bytes: int = MiB
    max_body_bytes: int = 0  # 0: derived from the key and value limits
    random_write_max: int = 100
    list_batch: int = 1000
    list_page_max: int = 10_000
    log_level: str = "INFO"
    auth_tokens_file: str | None = None
    auth_reads: str = "open"  # open | protected
    gcp_project: str | None = None
    metadata_host: str = "metadata.google.internal"
    shutdown_drain_s: float = 1.0
    status_cache_s: float = 1.0

    @property
    def body_limit(self) -> int:
        """Largest accepted request body: room for both fields escaped, plus framing."""
        if self.max_body_bytes:
            return self.max_body_bytes
        return 2 * (self.max_key_bytes + self.max_value_bytes) + 4096

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Builds the configuration from environment variables, or raises ConfigError."""
        env = os.environ if env is None else env
        r = _Reader(env)
        config = cls(
            redis_url=r.text("REDIS_URL", cls.redis_url, check=_redis_url, shown=_redact_url),
            redis_mode=r.choice("KV_REDIS_MODE", cls.redis_mode, ("standalone", "cluster")),
            redis_tls_ca_file=r.optional_text("KV_REDIS_TLS_CA_FILE"),
            redis_tls_check_hostname=r.flag("KV_REDIS_TLS_CHECK_HOSTNAME", cls.redis_tls_check_hostname),
            redis_auth=r.choice("KV_REDIS_AUTH", cls.redis_auth, ("none", "password", "iam")),
            redis_username=r.optional_text("KV_REDIS_USERNAME"),
            redis_password_file=r.optional_text("KV_REDIS_PASSWORD_FILE"),
            redis_connect_timeout_s=r.number("KV_REDIS_CONNECT_TIMEOUT_S", cls.redis_connect_timeout_s, float, 0.01, 60),
            redis_command_timeout_s=r.number("KV_REDIS_COMMAND_TIMEOUT_S", cls.redis_command_timeout_s, float, 0.01, 60),
            redis_max_connections=r.number("KV_REDIS_MAX_CONNECTIONS", cls.redis_max_connections, int, 1, 10_000),
            write_min_replicas=r.number("KV_WRITE_MIN_REPLICAS", cls.write_min_replicas, int, 0, 16),
            write_replica_timeout_ms=r.number("KV_WRITE_REPLICA_TIMEOUT_MS", cls.write_replica_timeout_ms, int, 1, 60_000),
            key_prefix=r.text("KV_KEY_PREFIX", cls.key_prefix, check=_key_prefix),
            max_key_bytes=r.number("KV_MAX_KEY_BYTES", cls.max_key_bytes, int, 1, 64 * 1024),
            max_value_bytes=r.number("KV_MAX_VALUE_BYTES", cls.max_value_bytes, int, 1, 512 * MiB),
            max_body_bytes=r.number("KV_MAX_BODY_BYTES", cls.max_body_bytes, int, 0, 1024 * MiB),
            random_write_max=r.number("KV_RANDOM_WRITE_MAX", cls.random_write_max, int, 1, 10_000),
            list_batch=r.number("KV_LIST_BATCH", cls.list_batch, int, 1, 100_000),
            list_page_max=r.number("KV_LIST_PAGE_MAX", cls.list_page_max, int, 1, 1_000_000),
            log_level=r.choice("KV_LOG_LEVEL", cls.log_level, ("DEBUG", "INFO", "WARNING", "ERROR"), upper=True),
            auth_tokens_file=r.optional_text("KV_AUTH_TOKENS_FILE"),
            auth_reads=r.choice("KV_AUTH_READS", cls.auth_reads, ("open", "protected")),
            gcp_project=r.optional_text("KV_GCP_PROJECT"),
            metadata_host=r.text("GCE_METADATA_HOST", cls.metadata_host, check=_host),
            shutdown_drain_s=r.number("KV_SHUTDOWN_DRAIN_S", cls.shutdown_drain_s, float, 0, 300),
            status_cache_s=r.number("KV_STATUS_CACHE_S", cls.status_cache_s, float, 0, 60),
        )  # fmt: skip
        r.raise_errors()
        config.check()
        return config

    def check(self) -> None:
        """Cross-field rules that no single variable can express."""
        if self.redis_auth == "password" and not self.redis_password_file:
            raise ConfigError("KV_REDIS_PASSWORD_FILE is required when KV_REDIS_AUTH=password")
        if self.redis_auth == "iam" and self.redis_mode != "cluster":
            raise ConfigError("KV_REDIS_AUTH=iam needs KV_REDIS_MODE=cluster (Memorystore Cluster)")
        if self.redis_auth == "iam" and not self.redis_url.startswith("rediss://"):
            # Memorystore refuses IAM AUTH without TLS: the token would cross the network in clear.
            raise ConfigError("KV_REDIS_AUTH=iam needs a rediss:// REDIS_URL (TLS)")
        if (
            self.write_min_replicas
            and self.write_replica_timeout_ms >= self.redis_command_timeout_s * 1000
        ):
            # Otherwise WAIT outlives the socket timeout and a slow replica looks like a dead primary.
            raise ConfigError(
                "KV_WRITE_REPLICA_TIMEOUT_MS must be shorter than KV_REDIS_COMMAND_TIMEOUT_S"
            )
        if self.redis_tls_ca_file and not self.redis_url.startswith("rediss://"):
            raise ConfigError("KV_REDIS_TLS_CA_FILE is set but REDIS_URL does not use rediss://")
        if self.max_body_bytes and self.max_body_bytes < self.max_key_bytes + self.max_value_bytes:
            raise ConfigError(
                "KV_MAX_BODY_BYTES must be at least KV_MAX_KEY_BYTES + KV_MAX_VALUE_BYTES"
            )


def _redis_url(value: str) -> str | None:
    if not (value.startswith(("redis://", "rediss://")) and len(value) > len("redis://")):
        return "must be a redis:// or rediss:// URL"
    try:
        # What the client will do on the first request (a bad port or option
        # would otherwise be a 500 on every request rather than a refusal to start).
        parse_url(value)  # type: ignore[no-untyped-call]
    except ValueError:
        # Not the parser's message: it may quote part of a password (say, one with a "/").
        return "is not a URL redis-py can use (check the port, database and ?options)"
    return None


def _redact_url(value: str) -> str:
    """The URL without the password (or token) it may carry, for error messages."""
    scheme, separator, rest = value.rpartition("://")
    authority, at, host = rest.rpartition("@")
    if not at:
        return value
    user = authority.partition(":")[0]
    return f"{scheme}{separator}{user}:***@{host}"


def _host(value: str) -> str | None:
    if value.replace(".", "").replace("-", "").replace(":", "").isalnum():
        return None
    return "must be a host name or host:port"


def _key_prefix(value: str) -> str | None:
    if 0 < len(value.encode()) <= 128:
        return None
    return "must be 1 to 128 bytes (keys outside it are never listed or deleted)"


N = TypeVar("N", int, float)


class _Reader:
    """Reads variables and collects every problem, so one start reports them all."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.errors: list[str] = []

    def _get(self, name: str) -> str | None:
        value = self.env.get(name)
        return None if value is None or value.strip() == "" else value.strip()

    def text(
        self,
        name: str,
        default: str,
        check: Callable[[str], str | None],
        shown: Callable[[str], str] = str,
    ) -> str:
        """`shown` is what an error message may quote of the value (no secrets)."""
        value = self._get(name)
        if value is None:
            return default
        problem = check(value)
        if problem:
            self.errors.append(f"{name}: {problem}, got {shown(value)!r}")
            return default
        return value

    def optional_text(self, name: str) -> str | None:
        return self._get(name)

    def choice(self, name: str, default: str, allowed: tuple[str, ...], upper: bool = False) -> str:
        value = self._get(name)
        if value is None:
            return default
        value = value.upper() if upper else value.lower()
        if value not in allowed:
            self.errors.append(f"{name}: must be one of {', '.join(allowed)}, got {value!r}")
            return default
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.choice(name, "true" if default else "false", ("true", "false"))
        return value == "true"

    def number(self, name: str, default: N, kind: Callable[[str], N], low: N, high: N) -> N:
        value = self._get(name)
        if value is None:
            return default
        try:
            number = kind(value)
        except ValueError:
            number = None
        if number is None or number != number or not low <= number <= high:
            what = "an integer" if kind is int else "a number"
            self.errors.append(f"{name}: must be {what} from {low} to {high}, got {value!r}")
            return default
        return number

    def raise_errors(self) -> None:
        if self.errors:
            raise ConfigError("invalid configuration: " + "; ".join(self.errors))
