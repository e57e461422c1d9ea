#!/usr/bin/env bash
# Promote step (main only, one at a time): commits the digest the push step
# recorded to the GitOps values file that Argo CD deploys. Locally:
# KV_IMAGE_DIGEST=sha256:... . KV_RELEASE_HOLD=1 on a new build clears the
# hold a rollback left (deploy/README.md, "Roll back").
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=.buildkite/steps/lib/guard.sh
source .buildkite/steps/lib/guard.sh

hold=()
[ "${KV_RELEASE_HOLD:-}" = 1 ] && hold=(--release-hold)
exec tools/promote commit \
  --digest "${KV_IMAGE_DIGEST:-$(buildkite-agent meta-data get kv-image-digest)}" \
  --source-commit "${BUILDKITE_COMMIT:-HEAD}" \
  --remote origin \
  --branch "${BUILDKITE_PIPELINE_DEFAULT_BRANCH:-main}" \
  "${hold[@]}"
