"""Bearer-token authentication for writes (and, optionally, reads).

Tokens come from a mounted file (KV_AUTH_TOKENS_FILE, a Secret Manager
secret in production): one token per line, blank lines and `#` comments
ignored. Several tokens may be valid at once, so a rotation adds the new
token, moves clients over, then removes the old one. The file is re-read
when it changes (a new inode, size or mtime, which is what a Kubernetes
secret volume update produces), checked at most once a second.

Only SHA-256 digests of the tokens are kept in memory, and a presented token
is compared with every one of them with hmac.compare_digest and no early
exit, so neither which token matched nor how much of it did shows in the
timing. Tokens and digests are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, g
from flask_httpauth import HTTPTokenAuth  # type: ignore[import-untyped]

from kv.config import ConfigError
from kv.errors import Forbidden, Unauthorized, render
from kv.service import service

log = logging.getLogger(__name__)

MIN_TOKEN_LENGTH = 16
CHALLENGE = 'Bearer realm="kv"'

_Fingerprint = tuple[int, int, int, int]


class TokenFile:
    """The accepted tokens, as digests, reloaded when the file changes."""

    def __init__(
        self,
        path: str,
        check_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.check_interval_s = check_interval_s
        self.clock = clock
        self._lock = threading.Lock()
        self._digests: tuple[bytes, ...] = ()
        self._fingerprint: _Fingerprint | None = None
        self._checked_at = clock()
        try:
            self._load()
        except OSError as error:
            raise ConfigError(
                f"KV_AUTH_TOKENS_FILE: cannot read {path}: {error.strerror}"
            ) from error
        if not self._digests:
            raise ConfigError(f"KV_AUTH_TOKENS_FILE: {path} holds no token")

    def matches(self, presented: str) -> bool:
        self._maybe_reload()
        digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
        found = False
        for known in self._digests:
            found |= hmac.compare_digest(known, digest)
        return found

    def _maybe_reload(self) -> None:
        if self.clock() - self._checked_at >= self.check_interval_s:
            self.reload_if_changed()

    def reload_if_changed(self) -> None:
        """Re-reads the file now if it changed since it was last read."""
        with self._lock:
            self._checked_at = self.clock()
            try:
                if _fingerprint(os.stat(self.path)) != self._fingerprint:
                    self._load()
            except OSError as error:
                # A secret volume swaps a symlink; a moment without the file keeps the old tokens.
                log.warning(
                    "cannot re-read %s (%s); keeping the %d token(s) loaded before",
                    self.path,
                    error.strerror,
                    len(self._digests),
                )

    def _load(self) -> None:
        with open(self.path, "rb") as handle:
            fingerprint = _fingerprint(os.fstat(handle.fileno()))
            text = handle.read().decode("utf-8", "replace")
        digests = []
        for number, line in enumerate(text.splitlines(), start=1):
            token = line.strip()
            if not token or token.startswith("#"):
                continue
            if len(token) < MIN_TOKEN_LENGTH or any(c.isspace() for c in token):
                log.warning(
                    "%s line %d is not a usable token (needs %d+ characters, no spaces); ignored",
                    self.path,
                    number,
                    MIN_TOKEN_LENGTH,
                )
                continue
            digests.append(hashlib.sha256(token.encode()).digest())
        if self._fingerprint is not None:
            log.info("reloaded %s: %d token(s)", self.path, len(digests))
        if not digests:
            log.error("%s holds no usable token: every protected request is refused", self.path)
        self._digests = tuple(digests)
        self._fingerprint = fingerprint


def _fingerprint(stat: os.stat_result) -> _Fingerprint:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


class BearerAuth(HTTPTokenAuth):  # type: ignore[misc]
    """HTTPTokenAuth whose verify callback also sees requests without a token
    (as None), so whether a token is needed at all is decided there too."""

    def authenticate(self, auth: Any, stored_password: Any) -> Any:
        return self.ensure_sync(self.verify_token_callback)(getattr(auth, "token", None) or None)

    def ensure_sync(self, f: Any) -> Any:
        # The guarded views and callbacks here are plain functions: skip the
        # coroutine check (inspect) Flask-HTTPAuth makes twice per request.
        return f


# The two guards: put on the views they protect. Writes need a token whenever
# a tokens file is configured; reads only when KV_AUTH_READS=protected too.
writes = BearerAuth(scheme="Bearer", realm="kv")
reads = BearerAuth(scheme="Bearer", realm="kv")


def _verify(token: str | None, protected: bool) -> bool | None:
    """True to let the request through; None (no token: 401) or False (403) to refuse."""
    kv = service()
    if kv.tokens is None or not protected:
        return True
    if token is None:
        kv.metrics.auth_failures.labels("missing").inc()
        return None
    if not kv.tokens.matches(token):
        kv.metrics.auth_failures.labels("invalid").inc()
        g.auth_refused = True
        return False
    return True


def verify_write(token: str | None) -> bool | None:
    return _verify(token, protected=True)


def verify_read(token: str | None) -> bool | None:
    return _verify(token, protected=service().config.auth_reads == "protected")


def refused(status: int) -> Response:
    if g.pop("auth_refused", False):
        return render(Forbidden("the bearer token is not valid for this service"))
    return render(
        Unauthorized(
            "this call needs an 'Authorization: Bearer <token>' header",
            headers={"WWW-Authenticate": CHALLENGE},
        )
    )


writes.verify_token(verify_write)
reads.verify_token(verify_read)
writes.error_handler(refused)
reads.error_handler(refused)
View = TypeVar("View", bound=Callable[..., Any])


def write_token_required(view: View) -> View:
    """Decorates a view that changes data: a token is needed whenever a tokens file is set."""
    return cast(View, writes.login_required(view))


def read_token_required(view: View) -> View:
    """Decorates a view that reads data: a token is needed when reads are protected too."""
    return cast(View, reads.login_required(view))
