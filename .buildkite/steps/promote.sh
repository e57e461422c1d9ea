#!/usr/bin/env bash
# Promote step (main only, one at a time): commits the pushed digest to the
# GitOps values file that Argo CD deploys. Locally: KV_IMAGE=REPO@DIGEST.
set -euo pipefail
cd "$(dirname "$0")/../.."

image="${KV_IMAGE:-$(buildkite-agent meta-data get kv-image)}"
exec tools/promote commit \
  --repository "${image%@*}" \
  --digest "${image#*@}" \
  --source-commit "${BUILDKITE_COMMIT:-HEAD}" \
  --remote origin \
  --branch "${BUILDKITE_PIPELINE_DEFAULT_BRANCH:-main}"
