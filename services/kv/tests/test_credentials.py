"""Redis authentication: the IAM token provider (fake token source and clock,
a fake metadata server on loopback, and AUTH against a real Redis) and the
password-file provider against a real Redis ACL user, rotation included."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from kv import Config
from kv.credentials import (
    IAM_USERNAME,
    AccessToken,
    IamCredentialProvider,
    MetadataServerTokenSource,
    credential_provider,
)
from tests.kit.kvapi import Api
from tests.kit.processes import RedisServer


class FakeTokenSource:
    """Hands out token-1, token-2, ... each valid for `lifetime_s`; can be made to fail."""

    def __init__(self, lifetime_s: float = 3600) -> None:
        self.lifetime_s = lifetime_s
        self.fetches = 0
        self.failing = False

    def fetch(self) -> AccessToken:
        if self.failing:
            raise OSError("metadata server unreachable")
        self.fetches += 1
        return AccessToken(f"token-{self.fetches}", self.lifetime_s)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_iam_credentials_are_the_default_user_and_a_cached_token() -> None:
    source, clock = FakeTokenSource(), FakeClock()
    provider = IamCredentialProvider(source, refresh_margin_s=300, clock=clock)
    assert provider.get_credentials() == (IAM_USERNAME, "token-1")
    assert IAM_USERNAME == "default"
    clock.now += 100
    assert provider.get_credentials() == ("default", "token-1")
    assert source.fetches == 1


def test_iam_token_is_replaced_before_it_expires() -> None:
    source, clock = FakeTokenSource(lifetime_s=3600), FakeClock()
    provider = IamCredentialProvider(source, refresh_margin_s=300, clock=clock)
    assert provider.token() == "token-1"
    clock.now += 3600 - 300 - 1
    assert provider.token() == "token-1"
    clock.now += 2  # inside the margin: a new connection gets a fresh token
    assert provider.token() == "token-2"


def test_short_lived_iam_token_is_replaced_at_half_its_life() -> None:
    source, clock = FakeTokenSource(lifetime_s=120), FakeClock()
    provider = IamCredentialProvider(source, refresh_margin_s=300, clock=clock)
    assert provider.token() == "token-1"
    clock.now += 59
    assert provider.token() == "token-1"
    clock.now += 2
    assert provider.token() == "token-2"


def test_iam_refresh_failure_keeps_a_still_valid_token_then_fails_cleanly() -> None:
    source, clock = FakeTokenSource(lifetime_s=3600), FakeClock()
    provider = IamCredentialProvider(source, refresh_margin_s=300, clock=clock)
    provider.token()
    source.failing = True
    clock.now += 3400  # due for refresh, not yet expired
    assert provider.token() == "token-1"
    clock.now += 300  # expired
    with pytest.raises(redis.ConnectionError, match="IAM access token"):
        provider.token()
    source.failing = False
    assert provider.token() == "token-2"


def test_iam_without_any_token_is_a_connection_error() -> None:
    source = FakeTokenSource()
    source.failing = True
    with pytest.raises(redis.ConnectionError):
        IamCredentialProvider(source).get_credentials()


class FakeMetadataServer(BaseHTTPRequestHandler):
    """The token endpoint of the GCE/GKE metadata server, as documented."""

    def do_GET(self) -> None:
        if self.headers.get("Metadata-Flavor") != "Google":
            self.send_response(403)
            self.end_headers()
            return
        if self.path != MetadataServerTokenSource.PATH:
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps(
            {"access_token": "ya29.fake-token", "expires_in": 3599, "token_type": "Bearer"}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def metadata_host() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), FakeMetadataServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_token_comes_from_the_metadata_server_named_by_gce_metadata_host(
    metadata_host: str, environment: Any
) -> None:
    config = environment(
        {
            "REDIS_URL": "rediss://redis.kv.internal:6379",
            "KV_REDIS_MODE": "cluster",
            "KV_REDIS_AUTH": "iam",
            "GCE_METADATA_HOST": metadata_host,
        }
    )
    provider = credential_provider(config)
    assert isinstance(provider, IamCredentialProvider)
    assert provider.get_credentials() == ("default", "ya29.fake-token")


def test_redis_accepts_the_iam_credentials_as_auth(tmp_path: Path, metadata_host: str) -> None:
    # Memorystore checks the token with IAM; a local Redis just compares it.
    server = RedisServer(tmp_path / "redis", extra=("--requirepass", "ya29.fake-token")).start()
    try:
        provider = IamCredentialProvider(MetadataServerTokenSource(metadata_host))
        with redis.Redis(port=server.port, credential_provider=provider) as client:
            assert client.ping() is True
    finally:
        server.stop()


def test_iam_auth_needs_tls_and_cluster_mode(environment: Any) -> None:
    from kv import ConfigError

    with pytest.raises(ConfigError, match="rediss://"):
        environment({"KV_REDIS_AUTH": "iam", "KV_REDIS_MODE": "cluster"})
    with pytest.raises(ConfigError, match="cluster"):
        environment({"KV_REDIS_AUTH": "iam", "REDIS_URL": "rediss://h:6379"})


@pytest.fixture
def acl_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """Redis where only the ACL user `kv` may connect."""
    server = RedisServer(
        tmp_path / "redis",
        extra=("--user", "default", "off", "--user", "kv", "on", ">first-password", "~*", "+@all"),
    ).start()
    yield server
    server.stop()


def acl_api(make_api: Any, server: RedisServer, password_file: Path, password: str) -> Api:
    """The app as the ACL user `kv`, its password read from a mounted file."""
    password_file.write_text(password + "\n")
    api: Api = make_api(
        Config(
            redis_url=server.url,
            redis_auth="password",
            redis_username="kv",
            redis_password_file=str(password_file),
            key_prefix="acl:",
        )
    )
    return api


def test_password_file_authenticates_as_the_acl_user_and_follows_rotation(
    make_api: Any, acl_redis: RedisServer, tmp_path: Path
) -> None:
    password_file = tmp_path / "password"
    api = acl_api(make_api, acl_redis, password_file, "first-password")
    assert api.post("/write", json={"key": "k", "value": "v"}).status_code == 200

    # Rotation: the new password is added, the mounted file changes, the old one is removed.
    admin = redis.Redis(port=acl_redis.port, username="kv", password="first-password")  # noqa: S106
    admin.acl_setuser("kv", enabled=True, passwords=["+second-password"])
    password_file.write_text("second-password\n")
    admin.acl_setuser("kv", enabled=True, passwords=["-first-password"])
    admin.client_kill_filter(user="kv")  # every connection re-authenticates
    admin.close()
    assert api.get("/list").json == {"k": "v"}


def test_wrong_password_is_503_not_500(
    make_api: Any, acl_redis: RedisServer, tmp_path: Path
) -> None:
    password_file = tmp_path / "password"
    api = acl_api(make_api, acl_redis, password_file, "not-the-password")
    response = api.get("/readyz")
    assert response.status_code == 503
    assert response.json["code"] == "redis_unavailable"
    password_file.unlink()
    assert api.get("/readyz").status_code == 503
