"""Checks of infra/ that need no tool: version pins that must agree, the
module layout, and the absence of key material."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.tests.toolchain import CONFIGURATIONS, INFRA, MODULES, config_id
from tools.testkit.tooling import REPO_ROOT, tool_versions

PROD = INFRA / "envs" / "prod"


def block_names(text: str, kind: str) -> list[str]:
    return re.findall(rf'^{kind} "([^"]+)"', text, re.MULTILINE)


def blocks(text: str, kind: str) -> dict[str, str]:
    """Top-level `kind "name" { ... }` blocks by name (closing brace at column 0)."""
    return dict(re.findall(rf'^{kind} "([^"]+)" \{{\n(.*?)^\}}', text, re.MULTILINE | re.DOTALL))


def test_prod_tfvars_hold_nothing_secret() -> None:
    text = (PROD / "terraform.tfvars").read_text()
    # Names of Secret Manager secrets (*_secret_id) are not secret values.
    assert not re.search(
        r"(?i)^\s*(?!\w*_secret_id\s)\w*(password|secret|token|private_key|credentials)\w*\s*=",
        text,
        re.MULTILINE,
    )


def test_tfvars_sets_only_declared_variables_and_every_required_one() -> None:
    declared = set(block_names((PROD / "variables.tf").read_text(), "variable"))
    # Terraform reads terraform.tfvars and *.auto.tfvars (the generated capacity).
    assigned = {
        name
        for tfvars in [PROD / "terraform.tfvars", *PROD.glob("*.auto.tfvars")]
        for name in re.findall(r"^(\w+)\s*=", tfvars.read_text(), re.MULTILINE)
    }
    assert assigned <= declared, f"undeclared in variables.tf: {sorted(assigned - declared)}"
    assert declared - assigned <= {
        "binary_authorization_allowed_images",
        "enforce_org_policies",
        "gke_master_authorized_networks",
        "notification_channels",
    }, "every root variable without a default must be set in terraform.tfvars"
    assert (PROD / "capacity.auto.tfvars").is_file(), "run tools/generate"


def test_terraform_version_pins_agree() -> None:
    versions = tool_versions()
    constraints = [
        match[1] if match else None
        for c in CONFIGURATIONS
        for match in [
            re.search(r'required_version\s*=\s*"([^"]+)"', (c / "versions.tf").read_text())
        ]
    ]
    assert constraints == [">= 1.11.0, < 2.0.0"] * len(CONFIGURATIONS), constraints
    pinned = tuple(int(p) for p in versions["terraform"].split("."))
    assert (1, 11, 0) <= pinned < (2, 0, 0)


def test_google_provider_pins_agree() -> None:
    pinned = tool_versions()["KV_GOOGLE_PROVIDER_VERSION"]
    major = int(pinned.split(".")[0])
    root = (PROD / "versions.tf").read_text()
    assert re.search(
        rf'source\s*=\s*"hashicorp/google"\s*\n\s*version\s*=\s*"{re.escape(pinned)}"', root
    )
    for module in MODULES:
        text = (module / "versions.tf").read_text()
        assert f'version = ">= {pinned}, < {major + 1}.0.0"' in text, config_id(module)


def test_python_tool_locks_match_their_pins() -> None:
    checkov_pin = re.search(
        r"^checkov==(\S+)$",
        (REPO_ROOT / "tools" / "checkov" / "requirements.in").read_text(),
        re.MULTILINE,
    )
    assert checkov_pin, "tools/checkov/requirements.in must pin checkov"
    checkov_lock = REPO_ROOT / "tools" / "checkov" / "requirements.lock"
    assert f"checkov=={checkov_pin[1]} " in checkov_lock.read_text()
    assert "--hash=sha256:" in checkov_lock.read_text()


def test_no_service_account_key_is_created_anywhere() -> None:
    for tf in INFRA.rglob("*.tf"):
        text = tf.read_text()
        assert "google_service_account_key" not in text, tf
        assert not re.search(r"^\s*credentials\s*=", text, re.MULTILINE), tf


@pytest.mark.parametrize("module", MODULES, ids=config_id)
def test_module_has_the_standard_files(module: Path) -> None:
    for name in ("versions.tf", "variables.tf", "outputs.tf", "README.md"):
        assert (module / name).is_file(), f"{config_id(module)}/{name} is missing"
    assert list((module / "tests").glob("*.tftest.hcl")), f"{config_id(module)} has no tests"
    assert not (module / "main.tf").exists(), "modules use descriptive file names"


@pytest.mark.parametrize("configuration", CONFIGURATIONS, ids=config_id)
def test_variables_and_outputs_are_sorted_and_described(configuration: Path) -> None:
    for kind, file in (("variable", "variables.tf"), ("output", "outputs.tf")):
        text = (configuration / file).read_text()
        names = block_names(text, kind)
        assert names, f"{config_id(configuration)}/{file} declares no {kind}"
        assert names == sorted(names), f"{config_id(configuration)}/{file}: {kind}s out of order"
        for name, body in blocks(text, kind).items():
            assert re.search(r'^  description\s*=\s*"\S', body, re.MULTILINE), (
                f"{kind} {name} has no description"
            )


@pytest.mark.parametrize("module", MODULES, ids=config_id)
def test_module_tests_prove_bad_input_is_rejected(module: Path) -> None:
    validations = sum(f.read_text().count("validation {") for f in module.glob("*.tf"))
    rejected = sum(
        f.read_text().count("expect_failures") for f in (module / "tests").glob("*.tftest.hcl")
    )
    assert validations > 0, f"{config_id(module)} validates none of its inputs"
    assert rejected > 0, f"{config_id(module)} has no expect_failures test"
