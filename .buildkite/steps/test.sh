#!/usr/bin/env bash
# Test step: every test target in the repo, with the CI flags from .bazelrc
# (--config=ci). The remote cache endpoint comes from the agent environment.
set -euo pipefail
cd "$(dirname "$0")/../.."

flags=(--config=ci)
if [ -n "${BAZEL_REMOTE_CACHE:-}" ]; then
  flags+=("--remote_cache=$BAZEL_REMOTE_CACHE")
fi
exec bazel test "${flags[@]}" //...
