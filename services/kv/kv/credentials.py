"""How the service authenticates to Redis: one redis-py CredentialProvider
interface, two implementations.

- FileCredentialProvider: an ACL user (or the default user) and a password
  read from a mounted secret file.
- IamCredentialProvider: Memorystore IAM authentication. The password is an
  OAuth2 access token of the workload's identity (on GKE, Workload Identity
  through the metadata server) and the username is always "default".

redis-py asks the provider once per new connection (AUTH happens in the
connection handshake). Memorystore keeps an authenticated connection open
after its token expires, so a token only has to be valid when a connection
is made: the IAM provider hands out a cached token and fetches a new one
well before the cached one expires.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis
from redis.credentials import CredentialProvider

from kv.config import Config

log = logging.getLogger(__name__)

# Memorystore IAM authentication accepts no other username.
IAM_USERNAME = "default"


class FileCredentialProvider(CredentialProvider):
    """Username and password from a mounted file, read at each new connection,
    so a rotated secret takes effect without a restart."""

    def __init__(self, username: str | None, password_file: str) -> None:
        self.username = username
        self.password_file = password_file

    def get_credentials(self) -> tuple[str] | tuple[str, str]:
        try:
            with open(self.password_file, encoding="utf-8") as handle:
                # Secret mounts often end the value with a newline; nothing else is trimmed.
                password = handle.read().rstrip("\r\n")
        except OSError as error:
            raise redis.ConnectionError(
                f"cannot read the Redis password file {self.password_file}: {error.strerror}"
            ) from error
        if not password:
            raise redis.ConnectionError(f"the Redis password file {self.password_file} is empty")
        return (self.username, password) if self.username else (password,)


@dataclass(frozen=True)
class AccessToken:
    """An OAuth2 access token and how many seconds it stays valid from now."""

    value: str
    expires_in_s: float


class TokenSource(Protocol):
    """Where access tokens come from (the metadata server, or a fake in tests)."""

    def fetch(self) -> AccessToken: ...


class MetadataServerTokenSource:
    """Access tokens of the workload's service account from the GCE/GKE
    metadata server. With GKE Workload Identity the metadata server answers
    for the Google service account bound to the pod's Kubernetes service
    account; no key file exists anywhere."""

    PATH = "/computeMetadata/v1/instance/service-accounts/default/token"

    def __init__(self, host: str = "metadata.google.internal", timeout_s: float = 2.0) -> None:
        self.url = f"http://{host}{self.PATH}"
        self.timeout_s = timeout_s

    def fetch(self) -> AccessToken:
        request = urllib.request.Request(self.url, headers={"Metadata-Flavor": "Google"})  # noqa: S310 (fixed http URL of the link-local metadata server)
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
            body = json.load(response)
        token, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int | float):
            raise ValueError("metadata server answered without access_token/expires_in")
        return AccessToken(token, float(expires_in))


class IamCredentialProvider(CredentialProvider):
    """("default", <access token>) for Memorystore IAM authentication.

    The token is cached and replaced `refresh_margin_s` before it expires
    (or at half its life, for short-lived tokens), so a new connection never
    authenticates with a token about to lapse. If fetching a new token fails
    while the cached one is still valid, the cached one is used and the
    fetch is tried again at the next connection.
    """

    def __init__(
        self,
        source: TokenSource,
        refresh_margin_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.refresh_margin_s = refresh_margin_s
        self.clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._refresh_at = 0.0

    def get_credentials(self) -> tuple[str, str]:
        return (IAM_USERNAME, self.token())

    def token(self) -> str:
        with self._lock:
            now = self.clock()
            if self._token is not None and now < self._refresh_at:
                return self._token
            try:
                fresh = self.source.fetch()
            except Exception as error:
                if self._token is not None and now < self._expires_at:
                    log.warning(
                        "could not refresh the IAM access token (%s: %s); the current one "
                        "is valid for %.0f s more",
                        type(error).__name__,
                        error,
                        self._expires_at - now,
                    )
                    return self._token
                raise redis.ConnectionError(
                    f"cannot get an IAM access token for Redis: {type(error).__name__}: {error}"
                ) from error
            lifetime = max(fresh.expires_in_s, 0.0)
            self._token = fresh.value
            self._expires_at = now + lifetime
            self._refresh_at = now + max(lifetime - self.refresh_margin_s, lifetime / 2)
            return self._token


def credential_provider(config: Config) -> CredentialProvider | None:
    """The provider KV_REDIS_AUTH selects (None: no AUTH)."""
    if config.redis_auth == "password":
        assert config.redis_password_file is not None  # Config.check guarantees it
        return FileCredentialProvider(config.redis_username, config.redis_password_file)
    if config.redis_auth == "iam":
        return IamCredentialProvider(MetadataServerTokenSource(config.metadata_host))
    return None
