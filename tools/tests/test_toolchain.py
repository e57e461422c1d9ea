"""The tool set-up agrees with the one pin file: each wrapper module under
tools/toolchain/go builds the version mise.toml pins, and the set-up scripts
pass ShellCheck."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from tools.testkit.tooling import REPO_ROOT, require_tool, tool_versions

TOOLCHAIN = REPO_ROOT / "tools" / "toolchain"

# wrapper module -> (the module it requires, the mise.toml entry of its version)
WRAPPERS = {
    "buildkite-agent": ("github.com/buildkite/agent/v3", "aqua:buildkite/agent"),
    "etcd": ("go.etcd.io/etcd/server/v3", "etcd"),
    "helm-unittest": ("github.com/helm-unittest/helm-unittest", "aqua:helm-unittest/helm-unittest"),
    "terraform-docs": ("github.com/terraform-docs/terraform-docs", "terraform-docs"),
    "helm-values-schema-json": (
        "github.com/losisin/helm-values-schema-json/v2",
        "go:github.com/losisin/helm-values-schema-json/v2",
    ),
    "kubernetes": ("k8s.io/kubernetes", "kubectl"),
}


@pytest.mark.parametrize("wrapper", sorted(WRAPPERS))
def test_wrapper_module_requires_the_pinned_version(wrapper: str) -> None:
    module, pin = WRAPPERS[wrapper]
    go_mod = (TOOLCHAIN / "go" / wrapper / "go.mod").read_text()
    required = re.search(rf"^(?:require)?\s+{re.escape(module)} (v\S+)", go_mod, re.MULTILINE)
    assert required, f"{wrapper}/go.mod does not require {module}"
    assert required[1] == "v" + tool_versions()[pin], f"{wrapper}/go.mod and mise.toml disagree"


def test_every_wrapper_module_is_checked() -> None:
    assert {p.name for p in (TOOLCHAIN / "go").iterdir() if p.is_dir()} == set(WRAPPERS)


def test_control_plane_components_are_one_kubernetes_release() -> None:
    pins = tool_versions()
    components = [k for k in pins if k.startswith("aqua:kubernetes/kubernetes/")]
    assert components, "mise.toml lists no control-plane components"
    assert {pins[k] for k in components} == {pins["kubectl"]}


def test_set_up_scripts_pass_shellcheck() -> None:
    scripts = [TOOLCHAIN / "setup.sh", *sorted(TOOLCHAIN.glob("areas/*.sh"))]
    scripts += [REPO_ROOT / "tools" / name for name in ("test", "dev", "bench", "lock", "cluster")]
    result = subprocess.run(
        [require_tool("shellcheck"), "--external-sources", *map(str, scripts)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_a_second_set_up_waits_for_a_virtualenv_another_is_creating(tmp_path: Path) -> None:
    # tools/dev started while tools/test creates .venv: the venv's python
    # exists seconds before its pip, and the second set-up must not use it then.
    venv = tmp_path / "venv"
    set_up = f'source "{TOOLCHAIN}/setup.sh" && kv_python_venv "{venv}" >/dev/null'
    first = subprocess.Popen(["bash", "-c", set_up], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (venv / "bin" / "python").exists():
        assert first.poll() is None, first.communicate()[1]
        assert time.monotonic() < deadline, "the first set-up never created a python"
        time.sleep(0.01)
    second = subprocess.run(
        ["bash", "-c", f'{set_up} && test -x "{venv}/bin/pip"'],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert first.wait(120) == 0, first.communicate()[1]
    assert second.returncode == 0, f"the second set-up used a half-made virtualenv: {second.stderr}"
