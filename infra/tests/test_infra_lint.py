"""Static analysis of infra/: tflint with its Terraform rules and checkov
(security policies), with every suppression inline in the code and justified.

tflint's google ruleset (valid machine types and enum values) is enabled in
infra/.tflint.hcl for CI, where `tflint --init` can fetch it; it cannot be
built here (infra/README.md), so these tests lint without it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.tests.toolchain import CONFIGURATIONS, INFRA, config_id, output_of
from tools.testkit.tooling import read_versions, require_tool

TFLINT_CONFIG = INFRA / ".tflint.hcl"
GOOGLE_PLUGIN_BLOCK = re.compile(r'\nplugin "google" \{.*?\n\}\n', re.DOTALL)


def run_tflint(
    configuration: Path, config: Path, plugin_dir: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TFLINT_", "TF_"))}
    env["TFLINT_PLUGIN_DIR"] = str(plugin_dir)
    return subprocess.run(
        [
            require_tool("tflint"),
            f"--chdir={configuration}",
            f"--config={config}",
            "--format=compact",
            "--no-color",
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
    version = read_versions()["TFLINT_RULESET_GOOGLE_VERSION"].removeprefix("v")
    assert f'version = "{version}"' in block[0]
    assert "enabled = true" in block[0]


@pytest.mark.parametrize("configuration", CONFIGURATIONS, ids=config_id)
def test_tflint_terraform_rules_pass(configuration: Path, tmp_path: Path) -> None:
    # The same config without the google plugin, which needs `tflint --init`.
    config = tmp_path / "tflint.hcl"
    config.write_text(GOOGLE_PLUGIN_BLOCK.sub("\n", TFLINT_CONFIG.read_text()))
    result = run_tflint(configuration, config, tmp_path / "plugins")
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
