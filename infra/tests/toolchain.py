"""How the infra tests find and run Terraform, the google provider and tflint.

Terraform never talks to the registry in tests: a CLI config written to a
temporary directory points `hashicorp/google` at the provider that
tools/test builds from its released source (dev_overrides).
Terraform then ignores the lock file for that provider, whose registry
checksums a local build could never match, and the working data (.terraform)
goes to a temporary TF_DATA_DIR, so tests leave the tree untouched and can run
in parallel. tflint finds the google ruleset the same setup builds through
TFLINT_PLUGIN_DIR.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.generation.generate import offline_terraform_env
from tools.testkit.tooling import REPO_ROOT, require_tool

INFRA = REPO_ROOT / "infra"
MODULES = sorted(p for p in (INFRA / "modules").iterdir() if (p / "versions.tf").is_file())
ROOTS = sorted(p for p in (INFRA / "envs").iterdir() if (p / "versions.tf").is_file())
# Every directory Terraform treats as one configuration, modules first.
CONFIGURATIONS = MODULES + ROOTS

SETUP_HINT = "run tools/test infra (tools/toolchain/areas/infra.sh builds it once per version)"


def config_id(path: Path) -> str:
    """Test id of a configuration directory: modules/gke, envs/prod."""
    return path.relative_to(INFRA).as_posix()


def google_provider_dir() -> Path:
    """Directory holding the terraform-provider-google binary.

    tools/test builds the pinned release there and exports
    KV_GOOGLE_PROVIDER_DIR; any directory holding that release's binary will do.
    """
    configured = os.environ.get("KV_GOOGLE_PROVIDER_DIR")
    if not configured:
        pytest.fail(f"KV_GOOGLE_PROVIDER_DIR is not set: {SETUP_HINT}", pytrace=False)
    directory = Path(configured)
    if not (directory / "terraform-provider-google").is_file():
        pytest.fail(f"no terraform-provider-google in {directory}: {SETUP_HINT}", pytrace=False)
    return directory


def tflint_plugin_dir() -> Path:
    """TFLINT_PLUGIN_DIR holding the google ruleset that infra/.tflint.hcl pins."""
    configured = os.environ.get("TFLINT_PLUGIN_DIR")
    if not configured:
        pytest.fail(f"TFLINT_PLUGIN_DIR is not set: {SETUP_HINT}", pytrace=False)
    directory = Path(configured)
    if not list(directory.glob("**/tflint-ruleset-google")):
        pytest.fail(f"no tflint-ruleset-google under {directory}: {SETUP_HINT}", pytrace=False)
    return directory


@dataclass(frozen=True)
class Terraform:
    """The terraform CLI with an isolated, offline environment."""

    binary: str
    env: dict[str, str]

    def run(self, command: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.binary, command, "-no-color", *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )


def terraform(tmp_path: Path, *, with_provider: bool) -> Terraform:
    """terraform with its data dir and CLI config under tmp_path.

    with_provider: point hashicorp/google at the local provider (fails
    the test with the install hint when it is missing).
    """
    binary = require_tool("terraform")
    env = offline_terraform_env(tmp_path, google_provider_dir() if with_provider else None)
    return Terraform(binary=binary, env=env)


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    """Both streams of a finished command, for assertion messages."""
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
