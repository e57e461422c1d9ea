"""Runs the service as its image would run, under runc, without an image build.

`build_rootfs` lays out a root filesystem the way services/kv/image.bzl
describes the image: the interpreter and its standard library under
/opt/python, the runtime lock's packages under /opt/kv/site-packages, the
app under /opt/kv/app. The shared libraries the interpreter and the
packages' extensions load stand in for the distroless base. No shell, no
package manager, nothing else. Files are hard-linked where possible (same
filesystem), so a build takes a fraction of a second.

`RuncContainer` writes an OCI runtime config by hand from the image contract
(entrypoint, numeric user, env, workdir), with a read-only root, a tmpfs
/tmp owned by the user, no capabilities, no new privileges, and neither
rlimits nor cgroup resources (so runc needs neither setrlimit nor a cgroup
manager). The container shares the host network namespace so the test
reaches it, and Redis, on loopback.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import uuid
from pathlib import Path
from typing import Any

from mirakuru import HTTPExecutor
from tests.kit.processes import HOST, SERVICE_DIR, START_FAILURES

from tools.testkit.image import ImageContract
from tools.testkit.tooling import require_tool

RUNTIME_LOCK = SERVICE_DIR / "requirements.lock"
# Standard-library parts a server never imports.
STDLIB_SKIP = {"site-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3"}


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _copy_tree(source: Path, target: Path, skip: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    shutil.copytree(
        source,
        target,
        symlinks=True,
        ignore=lambda _dir, names: [n for n in names if n in skip],
        copy_function=lambda s, t: _link_or_copy(Path(s), Path(t)),
        dirs_exist_ok=True,
    )


def _runtime_distributions() -> list[importlib.metadata.Distribution]:
    names = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", RUNTIME_LOCK.read_text(), re.M)
    return [importlib.metadata.distribution(name) for name in names]


def _shared_libraries(binaries: list[Path]) -> set[Path]:
    """Every library the dynamic loader resolves for these ELF files (ldd)."""
    found: set[Path] = set()
    for binary in binaries:
        result = subprocess.run(
            [require_tool("ldd"), str(binary)], capture_output=True, text=True, check=False
        )
        for line in result.stdout.splitlines():
            match = re.search(r"(/\S+) \(0x", line)
            if match:
                found.add(Path(match.group(1)))
    return found


def build_rootfs(rootfs: Path, contract: ImageContract) -> None:
    """The image's filesystem (see the module docstring), at `rootfs`."""
    python_home = rootfs / contract.python_home.lstrip("/")
    interpreter = (
        Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    )
    interpreter = interpreter if interpreter.exists() else Path(os.path.realpath(sys.executable))
    _link_or_copy(interpreter, rootfs / contract.python_interpreter.lstrip("/"))
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    _copy_tree(stdlib, python_home / "lib" / stdlib.name, STDLIB_SKIP)

    site_packages = rootfs / contract.site_packages.lstrip("/")
    extensions: list[Path] = []
    for dist in _runtime_distributions():
        for file in dist.files or ():
            source = Path(str(dist.locate_file(file)))
            if ".." in file.parts or not source.is_file():
                continue  # scripts installed outside site-packages
            _link_or_copy(source, site_packages / file)
            if source.suffix == ".so":
                extensions.append(source)

    app = rootfs / contract.app_dir.lstrip("/")
    _link_or_copy(SERVICE_DIR / "gunicorn.conf.py", app / "gunicorn.conf.py")
    _copy_tree(SERVICE_DIR / "kv", app / "kv", {"__pycache__"})

    # The base layer: the C libraries those binaries load (the interpreter's
    # own libpython included: its RUNPATH points at a build directory).
    dynload = stdlib / "lib-dynload"
    binaries = [interpreter, *dynload.glob("*.so"), *extensions]
    for directory in ("lib", "lib64", "bin", "sbin"):
        host = Path("/") / directory
        if host.is_symlink():  # merged /usr, as on Debian
            (rootfs / directory).symlink_to(os.readlink(host))
    libraries = _shared_libraries(binaries)
    libc = next(lib for lib in libraries if lib.name.startswith("libc.so"))
    system_libdir = Path(os.path.realpath(libc.parent))
    for library in libraries:
        libdir = Path(os.path.realpath(library.parent))
        if library.name.startswith("libpython"):
            libdir = system_libdir  # found there by the loader's default search
        _link_or_copy(
            Path(os.path.realpath(library)), rootfs / str(libdir / library.name).lstrip("/")
        )

    user, group = contract.uid, contract.gid
    etc = rootfs / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "passwd").write_text(
        f"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:{user}:{group}:nonroot:/home/nonroot:/sbin/nologin\n"
    )
    (etc / "group").write_text(f"root:x:0:\nnonroot:x:{group}:\n")
    for mountpoint in ("proc", "dev", "tmp"):
        (rootfs / mountpoint).mkdir(exist_ok=True)


def runtime_config(contract: ImageContract, env: dict[str, str]) -> dict[str, Any]:
    """An OCI runtime config (spec 1.0.2) that runs the image's entrypoint."""
    tmpfs_owner = [f"uid={contract.uid}", f"gid={contract.gid}"]
    no_caps: dict[str, list[str]] = {
        kind: [] for kind in ("bounding", "effective", "inheritable", "permitted", "ambient")
    }
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": contract.uid, "gid": contract.gid},
            "args": list(contract.entrypoint),
            "env": [f"{k}={v}" for k, v in {**contract.env, **env}.items()],
            "cwd": contract.workdir,
            "capabilities": no_caps,
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "kv",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {
                "destination": "/dev",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
            },
            # mode=1777 is ignored here; ownership makes them writable for the user.
            {
                "destination": "/dev/shm",
                "type": "tmpfs",
                "source": "shm",
                "options": ["nosuid", "noexec", "nodev", "size=65536k", *tmpfs_owner],
            },
            {
                "destination": "/tmp",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "nodev", "size=65536k", *tmpfs_owner],
            },
        ],
        "linux": {
            # No network namespace: loopback is shared with the test and Redis.
            "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount")],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"],
            "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"],
        },
    }


class RuncContainer:
    """One container from a bundle directory; `runc` state lives beside it."""

    def __init__(self, bundle: Path, contract: ImageContract, env: dict[str, str]) -> None:
        self.bundle = bundle
        self.contract = contract
        self.env = env
        self.id = f"kv-test-{uuid.uuid4().hex[:10]}"
        self.state_dir = bundle / "state"
        self.log_path = bundle / "container.log"
        self.executor: HTTPExecutor | None = None

    def _runc(
        self, *args: str, check: bool = True, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [require_tool("runc"), "--root", str(self.state_dir), *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    def start(self, port: int, timeout: float = 30) -> RuncContainer:
        """Runs the container and waits until the service answers /healthz."""
        (self.bundle / "config.json").write_text(
            json.dumps(runtime_config(self.contract, self.env), indent=2)
        )
        with self.log_path.open("a") as log:
            self.executor = HTTPExecutor(
                [require_tool("runc"), "--root", str(self.state_dir), "run", "--bundle",
                 str(self.bundle), self.id],
                url=f"http://{HOST}:{port}/healthz", method="GET", timeout=timeout,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
            try:
                self.executor.start()
            except START_FAILURES as error:
                self.executor = None
                raise RuntimeError(f"{error}; container log:\n{self.logs()}") from error
        return self

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pid(self) -> int:
        """Host pid of the container's first process (the gunicorn master)."""
        return int(json.loads(self._runc("state", self.id).stdout)["pid"])

    def exec(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Runs a command inside, as the image's user (it fails if there is no such file)."""
        return self._runc("exec", "--user", self.contract.user, self.id, *args, check=False)

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM through runc, as the kubelet sends it; returns the exit code."""
        if self.executor is None or self.executor.process is None:
            return None
        process = self.executor.process
        self._runc("kill", self.id, "TERM", check=False)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._runc("kill", self.id, "KILL", check=False)
            code = process.wait(10)
        self._runc("delete", "--force", self.id, check=False)
        self.executor.kill()  # reaps what is left of runc's process group
        self.executor = None
        return code
