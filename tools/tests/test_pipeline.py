""".buildkite/pipeline.yml: Buildkite's schema, the agent's own parser, and its contracts.

The schema is read from the configurable reference location
(tools.testkit.tooling.schemas_dir()); the agent is the pinned
buildkite-agent that tools/test builds. The push step script
runs for real with recording fakes for bazel, gcloud and buildkite-agent.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tools.delivery.image_values import ImageRef
from tools.generation.generate import committed_platform
from tools.testkit.tooling import REPO_ROOT, require_tool, schemas_dir, tool_versions

BUILDKITE = REPO_ROOT / ".buildkite"
PIPELINE = BUILDKITE / "pipeline.yml"
STEPS = BUILDKITE / "steps"
# The repository the push step reads from the GitOps values file.
REPOSITORY = committed_platform()["image_repository"]


def pipeline() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(PIPELINE.read_text())
    return loaded


def steps_by_key() -> dict[str, dict[str, Any]]:
    return {step["key"]: step for step in pipeline()["steps"]}


def validator() -> jsonschema.Draft7Validator:
    schema = json.loads((schemas_dir() / "buildkite" / "schema.json").read_text())
    return jsonschema.Draft7Validator(schema)


def agent_dry_run(path: Path) -> subprocess.CompletedProcess[str]:
    agent = require_tool("buildkite-agent")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        # Required by the CLI even for --dry-run, which never contacts Buildkite.
        "BUILDKITE_AGENT_ACCESS_TOKEN": "dry-run-only",
    }
    return subprocess.run(
        [agent, "pipeline", "upload", "--dry-run", "--reject-secrets", str(path)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


def test_pipeline_matches_buildkite_schema() -> None:
    errors = [error.message for error in validator().iter_errors(pipeline())]
    assert errors == []


def test_schema_check_rejects_an_unknown_step_key() -> None:
    broken = pipeline()
    broken["steps"][0]["timeout"] = 5  # the real key is timeout_in_minutes
    assert not validator().is_valid(broken)


def test_buildkite_agent_accepts_pipeline_in_dry_run() -> None:
    result = agent_dry_run(PIPELINE)

    assert result.returncode == 0, result.stderr
    uploaded = json.loads(result.stdout)
    assert [step["key"] for step in uploaded["steps"]] == ["test", "push", "promote"]
    # What the agent would upload (after interpolation) is still schema-valid.
    assert [error.message for error in validator().iter_errors(uploaded)] == []


def test_buildkite_agent_rejects_a_malformed_pipeline(tmp_path: Path) -> None:
    broken = tmp_path / "pipeline.yml"
    broken.write_text("steps: 3\n")
    assert agent_dry_run(broken).returncode != 0


def test_agent_version_is_the_one_pinned() -> None:
    pinned = "v" + tool_versions()["aqua:buildkite/agent"]
    go_mod = (REPO_ROOT / "tools" / "toolchain" / "go" / "buildkite-agent" / "go.mod").read_text()
    assert re.search(
        rf"^\s*github\.com/buildkite/agent/v3 {re.escape(pinned)}( // indirect)?$", go_mod, re.M
    )
    version = subprocess.run(
        [require_tool("buildkite-agent"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert pinned.removeprefix("v") in version


def test_every_command_is_an_executable_script_in_the_repo() -> None:
    for step in pipeline()["steps"]:
        command = step["command"]
        assert re.fullmatch(r"\.buildkite/steps/[a-z0-9-]+\.sh", command), command
        script = REPO_ROOT / command
        assert os.access(script, os.X_OK), f"{command} is not executable"
        text = script.read_text()
        assert text.startswith("#!/usr/bin/env bash\n"), command
        assert "set -euo pipefail" in text, command


def test_step_scripts_pass_shellcheck() -> None:
    scripts = [*STEPS.glob("*.sh"), *STEPS.glob("lib/*.sh"), REPO_ROOT / "tools" / "release"]
    result = subprocess.run(
        [require_tool("shellcheck"), "--external-sources", *map(str, scripts)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout


def test_test_step_runs_every_bazel_test_with_ci_config_and_retries_only_agent_loss() -> None:
    test = steps_by_key()["test"]
    assert "if" not in test, "every commit, promote commits included, must report a status"
    for step in pipeline()["steps"]:
        assert 0 < step["timeout_in_minutes"] <= 60
        retries = step["retry"]["automatic"]
        assert retries == [
            {"exit_status": -1, "limit": 2},
            {"signal_reason": "agent_stop", "limit": 2},
        ], f"{step['key']} must retry on agent loss only, never on a failure"


def test_push_and_promote_run_on_main_only_in_order() -> None:
    steps = steps_by_key()
    assert steps["push"]["depends_on"] == "test"
    assert steps["promote"]["depends_on"] == "push"
    for key in ("push", "promote"):
        # Promote commits are skipped by the step scripts' loop guard
        # (tools/tests/test_promote.py), so the `if` is only about the branch.
        assert steps[key]["if"] == (
            "build.branch == pipeline.default_branch && build.pull_request.id == null"
        )


def test_promotions_are_serialized_by_a_concurrency_group() -> None:
    promote = steps_by_key()["promote"]
    assert promote["concurrency"] == 1
    assert promote["concurrency_group"] == "kv/promote-prod"
    assert "tools/promote commit" in (REPO_ROOT / promote["command"]).read_text()


def identity() -> dict[str, str]:
    """KV_WIF_AUDIENCE and KV_CI_SERVICE_ACCOUNT as the step scripts see them."""
    shown = subprocess.run(
        ["bash", "-c", 'source "$1" && printf "%s\\n%s" "$KV_WIF_AUDIENCE" "$KV_CI_SERVICE_ACCOUNT"',
         "-", str(STEPS / "lib" / "identity.sh")],
        capture_output=True, text=True, check=True,
    ).stdout.split("\n")  # fmt: skip
    return {"KV_WIF_AUDIENCE": shown[0], "KV_CI_SERVICE_ACCOUNT": shown[1]}


STUB = """#!/usr/bin/env bash
# Records its command line; answers the few questions the step scripts ask.
printf '%s\\n' "$(basename "$0") $*" >> "$KV_STUB_LOG"
case "$(basename "$0") $*" in
  "bazel cquery"*) echo "$KV_STUB_VALUES" ;;
  "buildkite-agent oidc request-token"*) echo "header.payload.signature" ;;
esac
"""


def run_step(
    script: str, tmp_path: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Runs a step script with recording fakes of bazel, gcloud and buildkite-agent."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("bazel", "gcloud", "buildkite-agent"):
        (bin_dir / tool).write_text(STUB)
        (bin_dir / tool).chmod(0o755)
    result = subprocess.run(
        [str(STEPS / script)],
        cwd=tmp_path,
        env={
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "TMPDIR": str(tmp_path),
            "KV_STUB_LOG": str(log),
            **{key: str(value) for key, value in pipeline().get("env", {}).items()},
            **(env or {}),
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return result, log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize(
    ("cache", "expected"),
    [
        ("", "bazel test --config=ci //..."),
        (
            "grpcs://cache.example",
            "bazel test --config=ci --remote_cache=grpcs://cache.example //...",
        ),
    ],
    ids=["no-cache", "remote-cache"],
)
def test_test_step_runs_every_bazel_test_with_the_ci_config(
    tmp_path: Path, cache: str, expected: str
) -> None:
    result, calls = run_step("test.sh", tmp_path, {"BAZEL_REMOTE_CACHE": cache})
    assert result.returncode == 0, result.stderr
    assert calls == [expected]


def test_push_step_authenticates_keylessly_then_pushes_and_records_the_digest(
    tmp_path: Path,
) -> None:
    image = ImageRef(REPOSITORY, "sha256:" + "d" * 64)
    digest_file = tmp_path / "image_index.digest"  # what rules_oci writes
    digest_file.write_text(image.digest)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip

    result, calls = run_step(
        "push-image.sh",
        tmp_path,
        {"KV_STUB_VALUES": str(digest_file), "BUILDKITE_JOB_ID": "job", "BUILDKITE_COMMIT": head},
    )

    assert result.returncode == 0, result.stderr
    audience, account = identity()["KV_WIF_AUDIENCE"], identity()["KV_CI_SERVICE_ACCOUNT"]
    flags = "--config=ci --config=release"
    order = [
        f"buildkite-agent oidc request-token --audience {audience} --lifetime 3600",
        "gcloud iam workload-identity-pools create-cred-config "
        f"{audience.removeprefix('//iam.googleapis.com/')} --service-account={account}",
        "gcloud auth print-access-token",
        f"bazel build {flags} //services/kv:image_push //services/kv:image_index.digest",
        f"gcloud auth configure-docker {REPOSITORY.split('/')[0]} --quiet",
        f"bazel run {flags} //services/kv:image_push",
        f"buildkite-agent meta-data set kv-image-digest {image.digest}",
        "buildkite-agent annotate --style success --context kv-image",
    ]
    positions = [next(i for i, call in enumerate(calls) if call.startswith(want)) for want in order]
    assert positions == sorted(positions), calls
    # The token and the credentials file lived in one directory, removed at exit.
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("tmp.")]


def test_the_wif_condition_admits_only_steps_of_the_pipeline() -> None:
    # The provider accepts tokens of these step keys only: a renamed step
    # would fail every token exchange.
    admitted = set(committed_platform()["ci"]["step_keys"])
    assert admitted, "infra/envs/prod admits no pipeline step"
    assert admitted <= set(steps_by_key()), f"{admitted} not all steps of {PIPELINE}"
