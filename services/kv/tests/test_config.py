"""Configuration: defaults, every invalid value named, and a refusal to start."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from kv import Config, ConfigError
from tests.kit.processes import SERVICE_DIR


def test_defaults_work_for_a_local_run(environment: Any) -> None:
    config = environment({})
    assert config.redis_url == "redis://127.0.0.1:6379/0"
    assert config.redis_mode == "standalone"
    assert config.max_key_bytes == 1024
    assert config.max_value_bytes == 1024 * 1024
    assert config.write_min_replicas == 0
    assert config.body_limit > config.max_key_bytes + config.max_value_bytes


def test_environment_overrides_defaults(environment: Any) -> None:
    config = environment(
        {
            "REDIS_URL": "rediss://redis.kv.internal:6379",
            "KV_REDIS_MODE": "cluster",
            "KV_KEY_PREFIX": "prod:",
            "KV_MAX_KEY_BYTES": "64",
            "KV_WRITE_MIN_REPLICAS": "1",
            "KV_REDIS_COMMAND_TIMEOUT_S": "0.25",
            "KV_LOG_LEVEL": "warning",
        }
    )
    assert (config.redis_mode, config.key_prefix, config.max_key_bytes) == ("cluster", "prod:", 64)
    assert (config.write_min_replicas, config.redis_command_timeout_s) == (1, 0.25)
    assert config.log_level == "WARNING"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REDIS_URL", "http://localhost"),
        # redis-py cannot parse these: once accepted at start, then a 500 on every request.
        ("REDIS_URL", "redis://localhost:notaport"),
        ("REDIS_URL", "redis://localhost:6379/0?socket_timeout=soon"),
        ("KV_REDIS_MODE", "sentinel"),
        ("KV_REDIS_AUTH", "kerberos"),
        ("KV_MAX_KEY_BYTES", "0"),
        ("KV_MAX_KEY_BYTES", "lots"),
        ("KV_MAX_VALUE_BYTES", "-5"),
        ("KV_REDIS_COMMAND_TIMEOUT_S", "nan"),
        ("KV_REDIS_CONNECT_TIMEOUT_S", "1e9"),
        ("KV_WRITE_MIN_REPLICAS", "1.5"),
        ("KV_KEY_PREFIX", "x" * 200),
        ("KV_LOG_LEVEL", "chatty"),
        ("KV_AUTH_READS", "maybe"),
        ("KV_REDIS_TLS_CHECK_HOSTNAME", "sometimes"),
        ("KV_STATUS_CACHE_S", "-1"),
        ("KV_LIST_BATCH_BYTES", "1"),
        ("GUNICORN_THREADS", "many"),
        ("PORT", "70000"),
        ("GCE_METADATA_HOST", "http://evil/"),
    ],
)
def test_invalid_value_is_rejected_naming_the_variable(
    name: str, value: str, environment: Any
) -> None:
    with pytest.raises(ConfigError, match=name):
        environment({name: value})


@pytest.mark.parametrize(
    "url",
    [
        "rediss//default:s3cret-pass@redis.internal:6378",
        "redis://default:s3cret-pass@redis:port",
        "redis://default:s3cret-pass/x@redis:6379",  # urllib reads "s3cret-pass" as the port
    ],
)
def test_a_rejected_redis_url_does_not_echo_its_password(url: str, environment: Any) -> None:
    with pytest.raises(ConfigError, match="REDIS_URL") as error:
        environment({"REDIS_URL": url})
    assert "s3cret-pass" not in str(error.value)


def test_every_problem_is_reported_at_once(environment: Any) -> None:
    with pytest.raises(ConfigError) as error:
        environment({"KV_REDIS_MODE": "x", "KV_MAX_KEY_BYTES": "y"})
    assert "KV_REDIS_MODE" in str(error.value)
    assert "KV_MAX_KEY_BYTES" in str(error.value)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"KV_REDIS_AUTH": "password"}, "KV_REDIS_PASSWORD_FILE"),
        ({"KV_REDIS_TLS_CA_FILE": "/ca.pem"}, "rediss://"),
        ({"KV_MAX_BODY_BYTES": "10"}, "KV_MAX_BODY_BYTES"),
        (
            {"KV_WRITE_MIN_REPLICAS": "1", "KV_WRITE_REPLICA_TIMEOUT_MS": "1000"},
            "KV_WRITE_REPLICA_TIMEOUT_MS",
        ),
    ],
)
def test_settings_that_need_each_other_are_checked_together(
    env: dict[str, str], named: str, environment: Any
) -> None:
    with pytest.raises(ConfigError, match=named):
        environment(env)


def test_resilience_settings_have_safe_defaults(environment: Any) -> None:
    config = environment({})
    assert config.redis_tls_check_hostname is True
    assert config.auth_tokens_file is None, "auth is off unless a tokens file is mounted"
    assert config.metadata_host == "metadata.google.internal"
    assert environment({"KV_REDIS_TLS_CHECK_HOSTNAME": "false"}).redis_tls_check_hostname is False


def test_the_server_settings_come_from_the_same_reader(environment: Any) -> None:
    config = environment({"HOST": "127.0.0.1", "PORT": "9090", "GUNICORN_WORKERS": "3"})
    assert (config.host, config.port, config.gunicorn_workers) == ("127.0.0.1", 9090, 3)
    assert (config.gunicorn_threads, config.gunicorn_graceful_timeout) == (4, 25)


def test_a_changed_copy_is_validated_like_the_original() -> None:
    assert Config().replace(max_key_bytes=8).max_key_bytes == 8
    with pytest.raises(ValueError, match="max_key_bytes"):
        Config().replace(max_key_bytes=0)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"KV_MAX_KEY_BYTES": "-1"}, "KV_MAX_KEY_BYTES"),
        ({"KV_REDIS_MAX_CONNECTIONS": "2", "GUNICORN_THREADS": "4"}, "KV_REDIS_MAX_CONNECTIONS"),
        ({"GUNICORN_WORKERS": "two"}, "GUNICORN_WORKERS"),
        ({"GUNICORN_THREADS": "0"}, "GUNICORN_THREADS"),
        ({"GUNICORN_GRACEFUL_TIMEOUT": "-5"}, "GUNICORN_GRACEFUL_TIMEOUT"),
        ({"PORT": "http"}, "PORT"),
    ],
)
def test_gunicorn_refuses_to_start_with_bad_configuration(env: dict[str, str], named: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "--check-config",
            "kv.wsgi:app",
        ],
        cwd=SERVICE_DIR,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert named in result.stdout + result.stderr
    # A message for the operator, not a stack trace that happens to quote the line.
    assert "Traceback" not in result.stdout + result.stderr
