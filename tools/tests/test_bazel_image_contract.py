"""services/kv/image.bzl describes an image that can actually run, and the checks on it agree.

The image itself is built by Bazel in CI; what can be proved here is that the
contract is self-consistent and points at files that exist: the entrypoint
execs the interpreter the layer puts there, loads the gunicorn config and the
WSGI app that the app layer ships, as a numeric non-root user.
"""

from __future__ import annotations

import ast
from pathlib import Path, PurePosixPath

import pytest
import yaml
from kv.config import variables

from tools.testkit.image import (
    IMAGE_BZL,
    ImageContract,
    app_files,
    image_contract,
    read_bzl_constants,
)
from tools.testkit.tooling import REPO_ROOT

SERVICE_DIR = REPO_ROOT / "services" / "kv"  # what the app layer maps to APP_DIR


@pytest.fixture(scope="module")
def contract() -> ImageContract:
    return image_contract()


def repo_file_for(contract: ImageContract, in_image: str) -> Path:
    """The source file that the app layer installs at an in-image path."""
    relative = PurePosixPath(in_image).relative_to(contract.app_dir)
    return SERVICE_DIR / relative


def test_entrypoint_execs_the_layered_interpreter_without_a_shell(contract: ImageContract) -> None:
    assert contract.entrypoint[0] == contract.python_interpreter
    assert PurePosixPath(contract.python_interpreter).is_relative_to(contract.python_home)
    # rules_python's toolchain keeps the interpreter at bin/python3 of its repository.
    assert contract.python_interpreter == f"{contract.python_home}/bin/python3"
    assert not {"sh", "/bin/sh", "bash", "/bin/bash", "-c"} & set(contract.entrypoint)


def test_entrypoint_runs_gunicorn_with_the_shipped_config_and_app(contract: ImageContract) -> None:
    args = list(contract.entrypoint[1:])
    assert args[:2] == ["-m", "gunicorn"]
    config = args[args.index("--config") + 1]
    assert repo_file_for(contract, config) == SERVICE_DIR / "gunicorn.conf.py"
    assert (SERVICE_DIR / "gunicorn.conf.py").is_file()
    module, _, attribute = args[-1].partition(":")
    source = SERVICE_DIR.joinpath(*module.split(".")).with_suffix(".py")
    assert source.is_file(), f"{args[-1]} names no module in services/kv"
    assigned = {
        target.id
        for node in ast.parse(source.read_text()).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert attribute in assigned


def test_python_path_is_the_app_then_its_dependencies(contract: ImageContract) -> None:
    assert contract.env["PYTHONPATH"].split(":") == [contract.app_dir, contract.site_packages]
    assert contract.env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert contract.workdir == contract.app_dir


def test_user_is_numeric_and_not_root(contract: ImageContract) -> None:
    assert contract.user == f"{contract.uid}:{contract.gid}"
    assert contract.uid != 0
    assert contract.gid != 0
    assert contract.uid == 65532


def test_layer_directories_are_disjoint_absolute_paths(contract: ImageContract) -> None:
    dirs = [
        PurePosixPath(d) for d in (contract.python_home, contract.site_packages, contract.app_dir)
    ]
    assert all(d.is_absolute() for d in dirs)
    for a in dirs:
        for b in dirs:
            assert a == b or not (a.is_relative_to(b) or b.is_relative_to(a))


def test_exposed_port_is_the_gunicorn_default(contract: ImageContract) -> None:
    # gunicorn.conf.py binds PORT from the service's one configuration reader.
    default_port = variables().get("PORT")
    assert default_port, "kv.config no longer declares PORT with a default"
    assert int(str(default_port)) == contract.exposed_port


def test_app_files_put_the_entrypoint_config_and_app_under_app_dir(
    contract: ImageContract,
) -> None:
    shipped = {str(in_image): source for source, in_image in app_files(contract)}
    config = contract.entrypoint[contract.entrypoint.index("--config") + 1]
    assert shipped[config] == SERVICE_DIR / "gunicorn.conf.py"
    assert f"{contract.app_dir}/kv/wsgi.py" in shipped
    assert not [path for path in shipped if "/tests/" in path or path.endswith(".pyc")]


def test_structure_test_checks_the_contract_paths() -> None:
    config = yaml.safe_load((SERVICE_DIR / "image_structure_test.yaml").read_text())
    checks = {c["path"]: c["shouldExist"] for c in config["fileExistenceTests"]}
    contract = image_contract()
    assert checks["/bin/sh"] is False
    assert checks[contract.python_interpreter] is True
    config_path = contract.entrypoint[contract.entrypoint.index("--config") + 1]
    assert checks[config_path] is True
    for path, should_exist in checks.items():
        if should_exist and PurePosixPath(path).is_relative_to(contract.app_dir):
            assert repo_file_for(contract, path).is_file(), (
                f"{path} is not shipped by the app layer"
            )


def test_contract_reader_accepts_only_literal_assignments(tmp_path: Path) -> None:
    assert read_bzl_constants(IMAGE_BZL)["EXPOSED_PORT"] == image_contract().exposed_port
    computed = tmp_path / "computed.bzl"
    computed.write_text('"""doc"""\nA = "x"\nB = A + "y"\n')
    with pytest.raises(ValueError, match="B is not a literal"):
        read_bzl_constants(computed)
    code = tmp_path / "code.bzl"
    code.write_text('load(":x.bzl", "y")\n')
    with pytest.raises(ValueError, match="only literal assignments"):
        read_bzl_constants(code)
