"""The image's runtime contract, enforced by a real container runtime: the
service starts under runc from a root filesystem laid out like the image
(tests/kit/runtime.py), with the entrypoint, numeric user, env and
workdir of services/kv/image.bzl, a read-only root and only /tmp writable,
and serves the contract. This is what the Helm chart's securityContext
(runAsNonRoot, readOnlyRootFilesystem, no capabilities) will demand."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from tests.kit.openapi import OpenApiDocument
from tests.kit.processes import RedisServer, free_port
from tests.kit.runtime import RuncContainer, build_rootfs

from tools.testkit.image import image_contract

WRITE_PROBE = """
import json, os
result = {}
for path in ("/", "/opt/kv/app/probe", "/opt/python/probe", "/etc/probe", "/tmp/probe"):
    try:
        with open(path if path != "/" else "/probe", "w") as handle:
            handle.write("x")
        result[path] = "written"
    except OSError as error:
        result[path] = error.strerror
result["uid"], result["gid"] = os.getuid(), os.getgid()
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def container(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[tuple[RuncContainer, int]]:
    contract = image_contract()
    bundle = tmp_path_factory.mktemp("bundle")
    build_rootfs(bundle / "rootfs", contract)
    port = free_port()
    env = {
        "PORT": str(port),
        "KV_HEALTH_PORT": str(free_port()),  # the default, 8081, is one per machine
        "HOST": "127.0.0.1",
        "REDIS_URL": redis_server.url,
        "KV_KEY_PREFIX": "runc:",
        "GUNICORN_WORKERS": "2",
    }
    running = RuncContainer(bundle, contract, env).start(port)
    yield running, port
    running.stop()


def test_image_serves_the_contract_under_runc(
    container: tuple[RuncContainer, int], openapi: OpenApiDocument
) -> None:
    _, port = container
    base = f"http://127.0.0.1:{port}"
    calls: list[tuple[str, str, dict[str, Any], int]] = [
        ("POST", "/write", {"json": {"key": "k", "value": "in a container"}}, 200),
        ("POST", "/write?count=3", {}, 200),
        ("GET", "/list?limit=10", {}, 200),
        ("GET", "/list", {}, 200),
        ("DELETE", "/delete?key=k", {}, 200),
        ("DELETE", "/delete?key=k", {}, 404),
        ("GET", "/", {}, 200),
        ("GET", "/healthz", {}, 200),
        ("GET", "/readyz", {}, 200),
        ("GET", "/metrics", {}, 200),
        ("GET", "/openapi.yaml", {}, 200),
    ]
    with requests.Session() as http:
        for method, path, kwargs, status in calls:
            response = http.request(method, base + path, timeout=10, **kwargs)
            assert response.status_code == status, (method, path, response.text)
            openapi.check_response(
                method, path, response.status_code, response.headers, response.content
            )


def test_processes_run_as_the_image_user_on_a_read_only_root(
    container: tuple[RuncContainer, int],
) -> None:
    running, _ = container
    contract = image_contract()
    master = running.pid()
    proc = Path("/proc")
    children = proc / f"{master}/task/{master}/children"
    # The master answers before it has forked every worker: wait for both (seen under -n 2).
    deadline = time.monotonic() + 10
    while len(workers := [int(pid) for pid in children.read_text().split()]) < 2:
        assert time.monotonic() < deadline, workers
        time.sleep(0.05)
    assert len(workers) == 2
    for pid in (master, *workers):
        status = dict(
            line.split(":", 1) for line in (proc / f"{pid}/status").read_text().splitlines()
        )
        assert status["Uid"].split() == [str(contract.uid)] * 4, pid
        assert status["Gid"].split() == [str(contract.gid)] * 4, pid
        assert status["CapEff"].strip() == "0" * 16, "no capabilities"
        assert status["NoNewPrivs"].strip() == "1"
    mounts = {
        fields[4]: fields[5].split(",")
        for fields in (
            line.split() for line in (proc / f"{master}/mountinfo").read_text().splitlines()
        )
    }
    assert "ro" in mounts["/"], "the root filesystem must be read-only"
    assert "rw" in mounts["/tmp"]


def test_only_tmp_is_writable_from_inside(container: tuple[RuncContainer, int]) -> None:
    running, _ = container
    contract = image_contract()
    result = running.exec(contract.python_interpreter, "-c", WRITE_PROBE)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["/tmp/probe"] == "written"
    for path in ("/", "/opt/kv/app/probe", "/opt/python/probe", "/etc/probe"):
        assert seen[path] == "Read-only file system", (path, seen[path])
    assert (seen["uid"], seen["gid"]) == (contract.uid, contract.gid)


def test_there_is_no_shell_in_the_image(container: tuple[RuncContainer, int]) -> None:
    running, _ = container
    for shell in ("/bin/sh", "/bin/bash", "/usr/bin/env"):
        result = running.exec(shell, "-c", "true")
        assert result.returncode != 0, shell
