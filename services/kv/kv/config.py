"""Service configuration: one typed object, read from the environment once.

`Config` (pydantic-settings) is the one reader for the whole process tree:
gunicorn.conf.py takes its listen address and worker shape from it, the WSGI
entry point builds the app from it. Every setting has a default that works
for local runs; production overrides them through the Helm chart. A bad value
stops the process at start with a message that names the variable, rather
than failing on the first request.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis.connection import parse_url

MiB = 1024 * 1024
# Values an error message must never quote (they may carry a password).
SECRET_VARIABLES = frozenset({"REDIS_URL"})
_HOST = re.compile(r"^[A-Za-z0-9.:-]+$")


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the variable."""


def env(name: str, default: Any, **constraints: Any) -> Any:
    """A field read from the environment variable `name` (or, in code, by its field name)."""
    return Field(default, validation_alias=AliasChoices(name), **constraints)


class Config(BaseSettings):
    """All runtime settings of the service and of the gunicorn that serves it."""

    model_config = SettingsConfigDict(
        frozen=True,
        validate_by_name=True,
        env_ignore_empty=True,
        allow_inf_nan=False,
        extra="ignore",
        str_strip_whitespace=True,
        # Each setting's docstring is its description (services/README.md's
        # configuration table is generated from them).
        use_attribute_docstrings=True,
    )

    # -- the server (gunicorn.conf.py) ----------------------------------------
    host: str = env("HOST", "0.0.0.0")  # noqa: S104 (a pod listens on its own IP)
    """Listen address (`tools/dev` uses 127.0.0.1)."""
    port: int = env("PORT", 8080, ge=1, le=65535)
    """Listen port of the API."""
    health_port: int = env("KV_HEALTH_PORT", 8081, ge=1, le=65535)
    """Port of the liveness listener: `/healthz` answered by the gunicorn master, apart from
    the request threads."""
    gunicorn_workers: int = env("GUNICORN_WORKERS", 2, ge=1, le=64)
    """Worker processes."""
    gunicorn_threads: int = env("GUNICORN_THREADS", 4, ge=1, le=256)
    """Request threads per worker."""
    gunicorn_graceful_timeout: int = env("GUNICORN_GRACEFUL_TIMEOUT", 25, ge=1, le=3600)
    """Seconds in-flight requests get after SIGTERM (which comes after the pod's preStop
    sleep)."""

    # -- Redis ----------------------------------------------------------------
    redis_url: str = env("REDIS_URL", "redis://127.0.0.1:6379/0")
    """`redis://`, or `rediss://` for TLS."""
    redis_mode: Literal["standalone", "cluster"] = env("KV_REDIS_MODE", "standalone")
    """`cluster` for Memorystore for Redis Cluster."""
    redis_tls_ca_file: str | None = env("KV_REDIS_TLS_CA_FILE", None)
    """CA bundle that signs the Redis server certificate."""
    redis_tls_check_hostname: bool = env("KV_REDIS_TLS_CHECK_HOSTNAME", True)
    """Verify the server name too (Memorystore certificates name node IPs: set false there;
    the chain is still verified)."""
    redis_auth: Literal["none", "password", "iam"] = env("KV_REDIS_AUTH", "none")
    """`password` (a mounted file) or `iam` (workload identity access tokens)."""
    redis_username: str | None = env("KV_REDIS_USERNAME", None)
    """ACL user."""
    redis_password_file: str | None = env("KV_REDIS_PASSWORD_FILE", None)
    """Mounted password file, re-read on reconnect."""
    redis_connect_timeout_s: float = env("KV_REDIS_CONNECT_TIMEOUT_S", 1.0, ge=0.01, le=60)
    """Seconds per connection attempt; a few attempts (bounded), then 503."""
    redis_command_timeout_s: float = env("KV_REDIS_COMMAND_TIMEOUT_S", 1.0, ge=0.01, le=60)
    """Seconds per command attempt; a few attempts (bounded), then 503."""
    redis_max_connections: int = env("KV_REDIS_MAX_CONNECTIONS", 32, ge=1, le=10_000)
    """Connection pool bound per worker; at least `GUNICORN_THREADS`."""
    write_min_replicas: int = env("KV_WRITE_MIN_REPLICAS", 0, ge=0, le=16)
    """Replicas that must acknowledge a write (`WAIT`) before 200."""
    write_replica_timeout_ms: int = env("KV_WRITE_REPLICA_TIMEOUT_MS", 200, ge=1, le=60_000)
    """Milliseconds a write waits for them; shorter than the command timeout."""
    metadata_host: str = env("GCE_METADATA_HOST", "metadata.google.internal")
    """Where `KV_REDIS_AUTH=iam` gets access tokens."""

    # -- the API --------------------------------------------------------------
    key_prefix: str = env("KV_KEY_PREFIX", "kv:")
    """The service only lists and deletes keys under it."""
    max_key_bytes: int = env("KV_MAX_KEY_BYTES", 1024, ge=1, le=64 * 1024)
    """Longest key, UTF-8 bytes."""
    max_value_bytes: int = env("KV_MAX_VALUE_BYTES", MiB, ge=1, le=512 * MiB)
    """Longest value, UTF-8 bytes."""
    max_body_bytes: int = env("KV_MAX_BODY_BYTES", 0, ge=0, le=1024 * MiB)
    """Request body limit (413 above it); 0: derived from the key and value limits."""
    random_write_max: int = env("KV_RANDOM_WRITE_MAX", 100, ge=1, le=10_000)
    """Largest `count` for `POST /write` without a payload."""
    list_batch: int = env("KV_LIST_BATCH", 1000, ge=1, le=100_000)
    """SCAN batch of a streamed `/list`."""
    list_page_max: int = env("KV_LIST_PAGE_MAX", 10_000, ge=1, le=1_000_000)
    """Largest `limit` of `/list`."""
    list_batch_bytes: int = env("KV_LIST_BATCH_BYTES", 2 * MiB, ge=64 * 1024, le=512 * MiB)
    """Most bytes of values one `/list` reads at a time (see "Memory of /list")."""
    status_cache_s: float = env("KV_STATUS_CACHE_S", 1.0, ge=0, le=60)
    """`GET /` answers from a Redis check at most this old (per worker; failures are never
    cached; `/readyz` always checks)."""
    auth_tokens_file: str | None = env("KV_AUTH_TOKENS_FILE", None)
    """Bearer tokens (one per line) for writes and deletes, and reads when protected; unset:
    no auth."""
    auth_reads: Literal["open", "protected"] = env("KV_AUTH_READS", "open")
    """`protected`: reads need a token too."""

    # -- logs -----------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = env("KV_LOG_LEVEL", "INFO")
    """`WARNING` drops the per-request lines of 2xx-4xx answers."""
    gcp_project: str | None = env("KV_GCP_PROJECT", None)
    """Turns trace IDs into Cloud Logging trace resource names."""

    @classmethod
    def from_env(cls) -> Config:
        """The configuration of this process, or ConfigError naming every bad variable."""
        try:
            return cls()
        except ValidationError as error:
            raise ConfigError(describe(error)) from None

    def replace(self, **changes: Any) -> Config:
        """A copy with some settings changed, validated like the original."""
        return Config.model_validate({**self.model_dump(), **changes})

    @property
    def body_limit(self) -> int:
        """Largest accepted request body: room for both fields escaped, plus framing."""
        if self.max_body_bytes:
            return self.max_body_bytes
        return 2 * (self.max_key_bytes + self.max_value_bytes) + 4096

    @field_validator("redis_mode", "redis_auth", "auth_reads", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if not (value.startswith(("redis://", "rediss://")) and len(value) > len("redis://")):
            raise ValueError("must be a redis:// or rediss:// URL")
        try:
            # What the client will do on the first request (a bad port or option
            # would otherwise be a 500 on every request rather than a refusal to start).
            parse_url(value)  # type: ignore[no-untyped-call]
        except ValueError:
            # Not the parser's message: it may quote part of a password (say, one with a "/").
            raise ValueError(
                "is not a URL redis-py can use (check the port, database and ?options)"
            ) from None
        return value

    @field_validator("metadata_host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not _HOST.match(value):
            raise ValueError("must be a host name or host:port")
        return value

    @field_validator("key_prefix")
    @classmethod
    def _key_prefix(cls, value: str) -> str:
        if not 0 < len(value.encode()) <= 128:
            raise ValueError("must be 1 to 128 bytes (keys outside it are never listed or deleted)")
        return value

    @model_validator(mode="after")
    def _check_together(self) -> Config:
        """Cross-field rules that no single variable can express."""
        if problems := self.conflicts():
            raise ValueError("; ".join(problems))
        return self

    def conflicts(self) -> list[str]:
        problems = []
        if self.redis_auth == "password" and not self.redis_password_file:
            problems.append("KV_REDIS_PASSWORD_FILE is required when KV_REDIS_AUTH=password")
        if self.redis_auth == "iam" and self.redis_mode != "cluster":
            problems.append("KV_REDIS_AUTH=iam needs KV_REDIS_MODE=cluster (Memorystore Cluster)")
        if self.redis_auth == "iam" and not self.redis_url.startswith("rediss://"):
            # Memorystore refuses IAM AUTH without TLS: the token would cross the network in clear.
            problems.append("KV_REDIS_AUTH=iam needs a rediss:// REDIS_URL (TLS)")
        if (
            self.write_min_replicas
            and self.write_replica_timeout_ms >= self.redis_command_timeout_s * 1000
        ):
            # Otherwise WAIT outlives the socket timeout and a slow replica looks like a dead primary.
            problems.append(
                "KV_WRITE_REPLICA_TIMEOUT_MS must be shorter than KV_REDIS_COMMAND_TIMEOUT_S"
            )
        if self.redis_tls_ca_file and not self.redis_url.startswith("rediss://"):
            problems.append("KV_REDIS_TLS_CA_FILE is set but REDIS_URL does not use rediss://")
        if self.max_body_bytes and self.max_body_bytes < self.max_key_bytes + self.max_value_bytes:
            problems.append(
                "KV_MAX_BODY_BYTES must be at least KV_MAX_KEY_BYTES + KV_MAX_VALUE_BYTES"
            )
        if self.health_port == self.port:
            problems.append("KV_HEALTH_PORT must differ from PORT (liveness has its own listener)")
        if self.redis_max_connections < self.gunicorn_threads:
            # Each thread holds at most one Redis connection (per node) at a time; a
            # smaller pool would turn a busy moment into "too many connections" 503s.
            problems.append(
                f"KV_REDIS_MAX_CONNECTIONS ({self.redis_max_connections}) must be at least "
                f"GUNICORN_THREADS ({self.gunicorn_threads})"
            )
        return problems


@functools.cache
def process_config() -> Config:
    """The configuration of this process tree, read once: gunicorn's master
    reads it (gunicorn.conf.py) and the workers it forks inherit the same
    object (kv.wsgi)."""
    return Config.from_env()


def variable(field: str) -> str:
    """The environment variable that sets a Config field."""
    alias = Config.model_fields[field].validation_alias
    assert isinstance(alias, AliasChoices)
    return str(alias.choices[0])


def variables() -> dict[str, Any]:
    """Every environment variable Config reads, with its default."""
    return {variable(name): field.default for name, field in Config.model_fields.items()}


def describe(error: ValidationError) -> str:
    """One line naming each bad variable, its problem and (unless secret) its value."""
    names = {variable(name): name for name in Config.model_fields}
    problems = []
    for item in error.errors():
        where = str(item["loc"][0]) if item["loc"] else ""
        message = str(item["msg"]).removeprefix("Value error, ")
        if where in names:
            shown = "" if where in SECRET_VARIABLES else f", got {item['input']!r}"
            problems.append(f"{where}: {message}{shown}")
        else:
            problems.append(message)
    return "invalid configuration: " + "; ".join(problems)
