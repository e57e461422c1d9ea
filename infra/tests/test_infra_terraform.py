"""Terraform itself on every module and root: formatting, validation by the
google provider built from its release source (schema and its own
validators), and the native `terraform test` suites (mock provider; no
project or credentials)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.tests.toolchain import CONFIGURATIONS, INFRA, config_id, output_of, terraform


def test_terraform_files_are_formatted(tmp_path: Path) -> None:
    tf = terraform(tmp_path, with_provider=False)
    result = tf.run("fmt", "-check", "-recursive", "-diff", str(INFRA), cwd=INFRA)
    assert result.returncode == 0, "run `terraform fmt -recursive infra`\n" + output_of(result)


@pytest.mark.parametrize("configuration", CONFIGURATIONS, ids=config_id)
def test_configuration_is_valid_for_the_provider(configuration: Path, tmp_path: Path) -> None:
    tf = terraform(tmp_path, with_provider=True)
    # Installs local module calls into the temporary data dir; providers come
    # from the dev override, so no `init` (and no registry) is involved.
    got = tf.run("get", cwd=configuration)
    assert got.returncode == 0, output_of(got)
    validated = tf.run("validate", cwd=configuration)
    assert validated.returncode == 0, output_of(validated)
    assert "Success!" in validated.stdout


@pytest.mark.parametrize("configuration", CONFIGURATIONS, ids=config_id)
def test_terraform_test_suite_passes(configuration: Path, tmp_path: Path) -> None:
    tf = terraform(tmp_path, with_provider=True)
    got = tf.run("get", cwd=configuration)
    assert got.returncode == 0, output_of(got)
    result = tf.run("test", cwd=configuration)
    assert result.returncode == 0, output_of(result)
    assert " 0 failed" in result.stdout, output_of(result)
