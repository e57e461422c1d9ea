"""The image's runtime contract, read from services/kv/image.bzl.

Bazel loads image.bzl to build the image; tests read the same file here, so a
test that runs the service "as the image does" (entrypoint, user, env, paths)
cannot drift from what is built. image.bzl holds literal assignments only,
which the ast module evaluates without running anything.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import MappingProxyType

from tools.testkit.tooling import REPO_ROOT

SERVICE_DIR = REPO_ROOT / "services" / "kv"
IMAGE_BZL = SERVICE_DIR / "image.bzl"


def read_bzl_constants(path: Path) -> dict[str, object]:
    """Top-level `NAME = <literal>` assignments of a .bzl file.

    Anything else at top level (a load, a def, an expression) is an error:
    the file is a contract, not code.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    constants: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            try:
                constants[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError as error:
                raise ValueError(
                    f"{path}:{node.lineno}: {node.targets[0].id} is not a literal"
                ) from error
            continue
        raise ValueError(f"{path}:{node.lineno}: only literal assignments are allowed")
    return constants


@dataclass(frozen=True)
class ImageContract:
    """How the kv image runs; see services/kv/image.bzl for the layout."""

    entrypoint: tuple[str, ...]
    user: str
    workdir: str
    env: Mapping[str, str]
    exposed_port: int
    python_home: str
    python_interpreter: str
    site_packages: str
    app_dir: str

    @property
    def uid(self) -> int:
        return int(self.user.split(":")[0])

    @property
    def gid(self) -> int:
        return int(self.user.split(":")[1])


def _str(constants: Mapping[str, object], name: str) -> str:
    value = constants.get(name)
    if not isinstance(value, str):
        raise ValueError(f"{IMAGE_BZL}: {name} must be a string, not {value!r}")
    return value


def image_contract(path: Path = IMAGE_BZL) -> ImageContract:
    """The contract as typed values (raises ValueError if image.bzl is malformed)."""
    constants = read_bzl_constants(path)
    entrypoint = constants.get("ENTRYPOINT")
    env = constants.get("ENV")
    port = constants.get("EXPOSED_PORT")
    if not (isinstance(entrypoint, list) and all(isinstance(a, str) for a in entrypoint)):
        raise ValueError(f"{path}: ENTRYPOINT must be a list of strings")
    if not (
        isinstance(env, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
    ):
        raise ValueError(f"{path}: ENV must map strings to strings")
    if not isinstance(port, int):
        raise ValueError(f"{path}: EXPOSED_PORT must be an int")
    return ImageContract(
        entrypoint=tuple(entrypoint),
        user=_str(constants, "USER"),
        workdir=_str(constants, "WORKDIR"),
        env=MappingProxyType(dict(env)),
        exposed_port=port,
        python_home=_str(constants, "PYTHON_HOME"),
        python_interpreter=_str(constants, "PYTHON_INTERPRETER"),
        site_packages=_str(constants, "SITE_PACKAGES"),
        app_dir=_str(constants, "APP_DIR"),
    )


def app_files(contract: ImageContract | None = None) -> list[tuple[Path, PurePosixPath]]:
    """(source file, path in the image) for everything the app layer ships.

    Mirrors //services/kv:kv (the kv package with its data, and
    gunicorn.conf.py) mapped from services/kv to APP_DIR, so a test can lay
    out a root filesystem the way the image does.
    """
    contract = contract or image_contract()
    sources = [
        p for p in (SERVICE_DIR / "kv").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ]
    sources.append(SERVICE_DIR / "gunicorn.conf.py")
    return [
        (source, PurePosixPath(contract.app_dir) / source.relative_to(SERVICE_DIR).as_posix())
        for source in sorted(sources)
    ]
