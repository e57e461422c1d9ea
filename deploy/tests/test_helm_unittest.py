"""The chart's helm-unittest suites (deploy/charts/kv/tests/, one per
template, each test named by the behaviour it proves) all pass."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import jsonschema
import yaml

from deploy.tests.manifests import CHART
from tools.testkit.tooling import require_tool, schemas_dir


def _suites() -> dict[str, Any]:
    return {
        p.name: yaml.safe_load(p.read_text()) for p in sorted((CHART / "tests").glob("*_test.yaml"))
    }


def test_every_template_has_a_suite_that_follows_the_suite_schema() -> None:
    schema = json.loads(
        (schemas_dir() / "helm-unittest-v1.1.0" / "helm-testsuite.json").read_text()
    )
    suites = _suites()
    tested = {t for suite in suites.values() for t in suite["templates"]}
    templates = {p.name for p in (CHART / "templates").iterdir() if not p.name.startswith("_")}
    assert templates <= tested, f"templates without a suite: {sorted(templates - tested)}"
    for name, suite in suites.items():
        jsonschema.validate(suite, schema)
        for test in suite["tests"]:
            # Named by behaviour: a sentence, not "test 1" or "works".
            assert len(test["it"].split()) >= 3, f"{name}: {test['it']!r}"


def test_helm_unittest_suites_pass() -> None:
    binary = require_tool("helm-unittest")
    result = subprocess.run(
        [binary, "--color=false", str(CHART)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    counts = re.search(r"Tests:\s+(\d+) passed, (\d+) total", output)
    assert counts, output
    assert counts[1] == counts[2], output
    assert int(counts[1]) >= len(_suites()) * 2, output
