"""TLS to Redis (rediss:// + KV_REDIS_TLS_CA_FILE) against a real redis-server
with TLS. A throwaway CA and server certificate are made per test session
with openssl in a temporary directory; no key ever lands in the repository."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kv import Config
from tests.kit.kvapi import Api
from tests.kit.processes import RedisServer, free_port

from tools.testkit.tooling import require_tool


@dataclass(frozen=True)
class Pki:
    ca: Path
    other_ca: Path  # trusted by nobody here
    cert_for_ip: tuple[Path, Path]  # SAN IP:127.0.0.1
    cert_for_name: tuple[Path, Path]  # SAN DNS:redis.kv.internal only


def _openssl(*args: str | Path) -> None:
    subprocess.run([require_tool("openssl"), *map(str, args)], check=True, capture_output=True)


def _ca(directory: Path, name: str) -> tuple[Path, Path]:
    key, cert = directory / f"{name}.key", directory / f"{name}.crt"
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", f"/CN={name}")  # fmt: skip
    return key, cert


def _server_cert(directory: Path, name: str, ca: tuple[Path, Path], san: str) -> tuple[Path, Path]:
    key, csr, cert, ext = (directory / f"{name}.{x}" for x in ("key", "csr", "crt", "ext"))
    ext.write_text(f"subjectAltName={san}\n")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", csr, "-subj", f"/CN={name}")  # fmt: skip
    _openssl("x509", "-req", "-in", csr, "-CA", ca[1], "-CAkey", ca[0], "-CAcreateserial",
             "-out", cert, "-days", "1", "-extfile", ext)  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca = _ca(directory, "kv-test-ca")
    _, other_ca = _ca(directory, "unrelated-ca")
    return Pki(
        ca=ca[1],
        other_ca=other_ca,
        cert_for_ip=_server_cert(directory, "redis-ip", ca, "IP:127.0.0.1"),
        cert_for_name=_server_cert(directory, "redis-name", ca, "DNS:redis.kv.internal"),
    )


def tls_redis(workdir: Path, pki: Pki, cert: tuple[Path, Path]) -> RedisServer:
    port = free_port()
    server = RedisServer(
        workdir,
        port=port,
        extra=(
            "--port", "0", "--tls-port", str(port),
            "--tls-cert-file", str(cert[0]), "--tls-key-file", str(cert[1]),
            "--tls-ca-cert-file", str(pki.ca), "--tls-auth-clients", "no",
        ),
    )  # fmt: skip
    return server.start()


@pytest.fixture
def ip_redis(tmp_path: Path, pki: Pki) -> Iterator[RedisServer]:
    server = tls_redis(tmp_path / "redis", pki, pki.cert_for_ip)
    yield server
    server.stop()


def tls_config(server: RedisServer, ca: Path, **overrides: Any) -> Config:
    return Config(
        redis_url=f"rediss://127.0.0.1:{server.port}/0",
        redis_tls_ca_file=str(ca),
        key_prefix="tls:",
        **overrides,
    )


def test_service_speaks_tls_to_a_redis_signed_by_the_configured_ca(
    make_api: Any, ip_redis: RedisServer, pki: Pki
) -> None:
    api: Api = make_api(tls_config(ip_redis, pki.ca))
    assert api.post("/write", json={"key": "secret", "value": "over tls"}).status_code == 200
    assert api.get("/list").json == {"secret": "over tls"}


def test_certificate_from_another_ca_is_refused_with_503(
    make_api: Any, ip_redis: RedisServer, pki: Pki
) -> None:
    api: Api = make_api(tls_config(ip_redis, pki.other_ca))
    response = api.get("/readyz")
    assert response.status_code == 503
    assert response.json["code"] == "redis_unavailable"


def test_plain_redis_url_does_not_reach_a_tls_only_redis(
    make_api: Any, ip_redis: RedisServer
) -> None:
    api: Api = make_api(
        Config(redis_url=f"redis://127.0.0.1:{ip_redis.port}/0", redis_connect_timeout_s=0.3)
    )
    assert api.get("/readyz").status_code == 503


def test_hostname_check_is_on_by_default_and_can_rely_on_the_ca_alone(
    make_api: Any, tmp_path: Path, pki: Pki
) -> None:
    # Reached by IP, the certificate names only redis.kv.internal (as a
    # managed Redis may): the default check refuses it; with the check off
    # the chain is still verified against the configured CA.
    server = tls_redis(tmp_path / "redis", pki, pki.cert_for_name)
    try:
        strict: Api = make_api(tls_config(server, pki.ca))
        assert strict.get("/readyz").status_code == 503
        ca_only: Api = make_api(tls_config(server, pki.ca, redis_tls_check_hostname=False))
        assert ca_only.get("/readyz").status_code == 200
        wrong_ca: Api = make_api(tls_config(server, pki.other_ca, redis_tls_check_hostname=False))
        assert wrong_ca.get("/readyz").status_code == 503
    finally:
        server.stop()
