"""Bearer tokens for writes (and optionally reads): 401 without a token, 403
with a wrong one, several valid tokens for rotation, the file re-read when it
changes, open health/metrics/document endpoints, and no token in any log."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
import redis
from kv import Config, ConfigError
from kv.auth import TokenFile
from tests.kit.kvapi import Api, stored

OLD = "old-token-0123456789abcdef"
NEW = "new-token-fedcba9876543210"


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    path = tmp_path / "tokens"
    path.write_text(f"# write tokens, one per line\n\n{OLD}\n")
    return path


@pytest.fixture
def tokens(tokens_file: Path) -> TokenFile:
    return TokenFile(str(tokens_file))


@pytest.fixture
def protected(make_api: Any, config: Config, tokens_file: Path, tokens: TokenFile) -> Api:
    api: Api = make_api(config.replace(auth_tokens_file=str(tokens_file)), tokens=tokens)
    return api


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_write_without_a_token_is_401_with_a_bearer_challenge(
    protected: Api, raw: redis.Redis, prefix: str
) -> None:
    response = protected.post("/write", json={"key": "k", "value": "v"})
    assert response.status_code == 401
    assert response.json["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert protected.delete("/delete?key=k").status_code == 401
    assert protected.post("/write").status_code == 401
    assert stored(raw, prefix) == {}


@pytest.mark.parametrize(
    "header", ["Bearer wrong-token-000000000000", f"Bearer {OLD}x", f"Bearer {OLD[:-1]}"]
)
def test_write_with_a_wrong_token_is_403(
    protected: Api, raw: redis.Redis, prefix: str, header: str
) -> None:
    response = protected.post(
        "/write", json={"key": "k", "value": "v"}, headers={"Authorization": header}
    )
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"
    assert stored(raw, prefix) == {}


@pytest.mark.parametrize("header", ["Basic dXNlcjpwdw==", "Bearer", "Bearer ", OLD, "Token x"])
def test_malformed_authorization_is_401(protected: Api, header: str) -> None:
    response = protected.post(
        "/write", json={"key": "k", "value": "v"}, headers={"Authorization": header}
    )
    assert response.status_code == 401


def test_valid_token_writes_and_deletes(protected: Api, raw: redis.Redis, prefix: str) -> None:
    assert (
        protected.post("/write", json={"key": "k", "value": "v"}, headers=bearer(OLD)).status_code
        == 200
    )
    assert (
        protected.delete("/delete?key=k", headers={"authorization": f"bearer {OLD}"}).status_code
        == 200
    )
    assert stored(raw, prefix) == {}


def test_reads_stay_open_unless_protected(
    protected: Api, make_api: Any, config: Config, tokens_file: Path
) -> None:
    assert protected.get("/").status_code == 200
    assert protected.get("/list").status_code == 200
    reads_too: Api = make_api(
        config.replace(auth_tokens_file=str(tokens_file), auth_reads="protected")
    )
    assert reads_too.get("/").status_code == 401
    assert reads_too.get("/list?limit=5").status_code == 401
    assert reads_too.get("/list", headers=bearer("wrong-token-000000000000")).status_code == 403
    assert reads_too.get("/list", headers=bearer(OLD)).status_code == 200
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.yaml"):
        assert reads_too.get(path).status_code == 200, path


def test_rotation_accepts_both_tokens_then_only_the_new_one(
    protected: Api, tokens_file: Path, tokens: TokenFile
) -> None:
    write = {"json": {"key": "k", "value": "v"}}
    tokens_file.write_text(f"{OLD}\n{NEW}\n")
    tokens.reload_if_changed()  # now, not within the next second
    assert protected.post("/write", headers=bearer(OLD), **write).status_code == 200
    assert protected.post("/write", headers=bearer(NEW), **write).status_code == 200
    # A Secret Manager mount swaps the file; the old token is gone.
    replacement = tokens_file.with_name("tokens.new")
    replacement.write_text(f"{NEW}\n")
    os.replace(replacement, tokens_file)
    tokens.reload_if_changed()  # now, not within the next second
    assert protected.post("/write", headers=bearer(OLD), **write).status_code == 403
    assert protected.post("/write", headers=bearer(NEW), **write).status_code == 200


def test_token_file_that_vanishes_keeps_the_tokens_loaded_before(
    protected: Api, tokens_file: Path, tokens: TokenFile
) -> None:
    tokens_file.unlink()
    tokens.reload_if_changed()  # now, not within the next second
    response = protected.post("/write", json={"key": "k", "value": "v"}, headers=bearer(OLD))
    assert response.status_code == 200


def test_tokens_are_checked_at_most_once_a_second(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text(f"{OLD}\n")
    now = [0.0]
    tokens = TokenFile(str(path), check_interval_s=1.0, clock=lambda: now[0])
    path.write_text(f"{NEW}\n")
    assert tokens.matches(OLD)
    assert not tokens.matches(NEW)
    now[0] = 1.5
    assert tokens.matches(NEW)
    assert not tokens.matches(OLD)


def test_short_or_spaced_tokens_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text(f"short\nhas a space inside it\n{OLD}\n")
    tokens = TokenFile(str(path))
    assert tokens.matches(OLD)
    assert not tokens.matches("short")
    assert not tokens.matches("has a space inside it")


@pytest.mark.parametrize("content", [None, "# only a comment\n\n"])
def test_missing_or_empty_tokens_file_stops_the_start(
    tmp_path: Path, config: Config, content: str | None
) -> None:
    from kv import create_app

    path = tmp_path / "tokens"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match="KV_AUTH_TOKENS_FILE"):
        create_app(config.replace(auth_tokens_file=str(path)))


def test_tokens_never_reach_the_logs(
    protected: Api, tokens_file: Path, caplog: pytest.LogCaptureFixture, tokens: TokenFile
) -> None:
    caplog.set_level(logging.DEBUG)
    protected.post("/write", json={"key": "k", "value": "v"}, headers=bearer(OLD))
    protected.post("/write", json={"key": "k", "value": "v"}, headers=bearer(NEW))
    tokens_file.write_text(f"{NEW}\nshort\n")
    tokens.reload_if_changed()  # now, not within the next second
    protected.post("/write", json={"key": "k", "value": "v"}, headers=bearer(NEW))
    text = caplog.text
    assert "reloaded" in text  # the reload was logged...
    for secret in (OLD, NEW, "short"):
        assert secret not in text  # ...without a token


def test_auth_failures_are_counted(protected: Api) -> None:
    protected.post("/write")
    protected.post("/write", headers=bearer("wrong-token-000000000000"))
    metrics = protected.get("/metrics").get_data(as_text=True)
    assert 'kv_auth_failures_total{reason="missing"} 1.0' in metrics
    assert 'kv_auth_failures_total{reason="invalid"} 1.0' in metrics
