"""Bazel's pins agree with the one place versions live, and the image address with its consumers."""

from __future__ import annotations

import ast
import re

from tools.testkit.tooling import REPO_ROOT, tool_versions

MODULE = REPO_ROOT / "MODULE.bazel"


def module_calls(name: str) -> list[dict[str, object]]:
    """Keyword arguments of every `<x>.name(...)` or `name(...)` call in MODULE.bazel."""
    calls = []
    for node in ast.walk(ast.parse(MODULE.read_text())):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called == name:
            calls.append({k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg})
    return calls


def strings(value: object) -> set[str]:
    assert isinstance(value, list), value
    return {str(v) for v in value}


def bazel_deps() -> dict[str, str]:
    return {str(c["name"]): str(c["version"]) for c in module_calls("bazel_dep")}


def test_bazelversion_pins_an_exact_lts_release() -> None:
    pinned = (REPO_ROOT / ".bazelversion").read_text().strip()
    assert re.fullmatch(r"8\.\d+\.\d+", pinned), "pin an exact 8.x LTS release"


def test_hermetic_python_is_the_pinned_python() -> None:
    python_version = tool_versions()["python"]
    toolchains = module_calls("toolchain")
    assert [t["python_version"] for t in toolchains] == [python_version]
    assert toolchains[0].get("is_default") is True
    hubs = module_calls("parse")
    assert {str(h["python_version"]) for h in hubs} == {python_version}


def test_pip_hubs_read_the_locks_that_pip_installs() -> None:
    hubs = {str(h["hub_name"]): str(h["requirements_lock"]) for h in module_calls("parse")}
    assert hubs == {
        "pypi": "//services/kv:requirements.lock",
        "pypi_test": "//tools:requirements-test.lock",
    }
    bootstrap = (REPO_ROOT / "tools" / "toolchain" / "setup.sh").read_text()
    for label in hubs.values():
        path = label.removeprefix("//").replace(":", "/")
        assert (REPO_ROOT / path).is_file()
        assert path in bootstrap, f"{path} is not what tools/test installs"


def test_image_hub_resolves_wheels_for_both_image_architectures() -> None:
    (service_hub,) = [h for h in module_calls("parse") if h["hub_name"] == "pypi"]
    assert service_hub["experimental_index_url"] == "https://pypi.org/simple"
    assert {"linux_x86_64", "linux_aarch64"} <= strings(service_hub["target_platforms"])


def test_test_hub_resolves_for_the_host_only() -> None:
    """rules_python's pip.parse resolves for every platform it defines when
    target_platforms is empty; the test tools never leave the host."""
    (test_hub,) = [h for h in module_calls("parse") if h["hub_name"] == "pypi_test"]
    assert strings(test_hub["target_platforms"]) == {"{os}_{arch}"}


def test_buildifier_under_bazel_is_the_pinned_version() -> None:
    assert bazel_deps()["buildifier_prebuilt"] == tool_versions()["npm:@bazel/buildifier"]


def test_rulesets_are_pinned_to_exact_versions() -> None:
    deps = bazel_deps()
    for ruleset in ("rules_python", "rules_oci", "aspect_bazel_lib", "tar.bzl", "platforms"):
        assert re.fullmatch(r"\d+\.\d+\.\d+", deps[ruleset]), ruleset


def test_base_image_is_pinned_by_digest_for_both_architectures() -> None:
    (pull,) = module_calls("pull")
    assert str(pull["image"]).startswith("gcr.io/distroless/cc-debian")
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", str(pull["digest"]))
    assert "tag" not in pull
    assert strings(pull["platforms"]) == {"linux/amd64", "linux/arm64/v8"}
