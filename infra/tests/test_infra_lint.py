"""Static analysis of infra/: tflint with its Terraform rules and the google
ruleset (machine types, enum values the provider only rejects at apply time),
and checkov (security policies), with every suppression inline in the code and
justified."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.tests.toolchain import CONFIGURATIONS, INFRA, config_id, output_of, tflint_plugin_dir
from tools.testkit.tooling import require_tool, tool_versions

TFLINT_CONFIG = INFRA / ".tflint.hcl"
GOOGLE_PLUGIN_BLOCK = re.compile(r'\nplugin "google" \{.*?\n\}\n', re.DOTALL)


def run_tflint(configuration: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """tflint with infra/.tflint.hcl and the google ruleset setup built."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TFLINT_", "TF_"))}
    env["TFLINT_PLUGIN_DIR"] = str(tflint_plugin_dir())
    return subprocess.run(
        [
            require_tool("tflint"),
            f"--chdir={configuration}",
            f"--config={TFLINT_CONFIG}",
            "--no-color",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_tflint_config_enables_the_pinned_google_ruleset() -> None:
    block = GOOGLE_PLUGIN_BLOCK.search(TFLINT_CONFIG.read_text())
    assert block, "infra/.tflint.hcl must enable the google ruleset"
    version = tool_versions()["KV_TFLINT_RULESET_GOOGLE_VERSION"]
    assert f'version = "{version}"' in block[0]
    assert "enabled = true" in block[0]


def test_tflint_loads_the_pinned_google_ruleset() -> None:
    result = run_tflint(INFRA / "envs" / "prod", "--version")
    version = tool_versions()["KV_TFLINT_RULESET_GOOGLE_VERSION"]
    assert result.returncode == 0, output_of(result)
    assert f"+ ruleset.google ({version})" in result.stdout, output_of(result)


def test_tflint_google_ruleset_rejects_an_unknown_machine_type(tmp_path: Path) -> None:
    # Negative control: the ruleset really runs with infra/.tflint.hcl.
    (tmp_path / "main.tf").write_text(
        'resource "google_container_node_pool" "this" {\n'
        '  cluster = "kv"\n'
        "  node_config {\n"
        '    machine_type = "n2d-standard-3"\n'
        "  }\n"
        "}\n"
    )
    result = run_tflint(
        tmp_path, "--format=compact", "--only=google_container_node_pool_invalid_machine_type"
    )
    assert result.returncode != 0, output_of(result)
    assert '"n2d-standard-3" is an invalid as machine type' in result.stdout, output_of(result)


@pytest.mark.parametrize("configuration", CONFIGURATIONS, ids=config_id)
def test_tflint_terraform_and_google_rules_pass(configuration: Path) -> None:
    result = run_tflint(configuration, "--format=compact")
    assert result.returncode == 0, output_of(result)


@pytest.fixture(scope="module")
def checkov_report() -> dict[str, Any]:
    result = subprocess.run(
        [
            require_tool("checkov"),
            "--directory",
            str(INFRA),
            "--framework",
            "terraform",
            "--output",
            "json",
            "--compact",
            "--skip-download",  # no calls to the vendor's API; built-in policies only
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.stdout.strip(), output_of(result)
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_checkov_reports_no_unsuppressed_failure(checkov_report: dict[str, Any]) -> None:
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for c in checkov_report["results"].get("failed_checks", [])
    ]
    assert not failed, "checkov failures:\n" + "\n".join(failed)
    assert checkov_report["summary"]["passed"] > 50, "checkov evaluated suspiciously few checks"


def test_every_checkov_suppression_states_its_reason(checkov_report: dict[str, Any]) -> None:
    skipped = checkov_report["results"].get("skipped_checks", [])
    assert skipped, "expected the documented suppressions to be reported as skipped"
    for check in skipped:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason) >= 30, f"{check['check_id']} on {check['resource']} lacks a real reason"


def test_suppressions_live_only_inline_in_terraform_code() -> None:
    for config_file in ("**/.checkov.yaml", "**/.checkov.yml", "**/.checkov"):
        assert not list(INFRA.glob(config_file)), f"no checkov config files ({config_file})"
    for tf in INFRA.rglob("*.tf"):
        for line in tf.read_text().splitlines():
            if "checkov:skip" in line:
                assert re.fullmatch(r"\s*#checkov:skip=CKV2?_GCP_\d+:\S.{29,}", line), (
                    f"{tf.relative_to(INFRA)}: malformed suppression {line.strip()!r}"
                )
