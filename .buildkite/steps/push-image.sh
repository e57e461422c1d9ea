#!/usr/bin/env bash
# Push step (main only): authenticates to Google Cloud without keys, builds
# the image reproducibly, pushes it by digest, and hands the digest to the
# promote step (build meta-data, written once) and to people (an annotation).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/gcp-auth.sh"
cd "$(dirname "$0")/../.."
# shellcheck source=.buildkite/steps/lib/guard.sh
source .buildkite/steps/lib/guard.sh

push_target=//services/kv:image_push
# The pushed index's digest, as rules_oci writes it.
digest_target=//services/kv:image_index.digest
# --config=release is --stamp plus the workspace status script that stamps
# the git commit into the image labels and the pushed tag (.bazelrc).
flags=(--config=ci --config=release)
if [ -n "${BAZEL_REMOTE_CACHE:-}" ]; then
  flags+=("--remote_cache=$BAZEL_REMOTE_CACHE")
fi

creds="$(mktemp -d)"
trap 'rm -rf "$creds"' EXIT
# First, so that Bazel's remote cache (--google_default_credentials) also
# runs as the pusher; the token is valid for an hour, the step times out at 30m.
kv_gcp_auth "$creds"

bazel build "${flags[@]}" "$push_target" "$digest_target"
digest="$(cat "$(bazel cquery "${flags[@]}" --output=files "$digest_target")")"
# The repository the promote step keeps: the one the values file names.
repository="$(tools/promote show deploy/environments/prod/image.yaml)"
repository="${repository%@*}"
kv_docker_auth "$creds" "${repository%%/*}"

bazel run "${flags[@]}" "$push_target"
image="$repository@$digest"

if [ -n "${BUILDKITE_JOB_ID:-}" ]; then
  buildkite-agent meta-data set kv-image-digest "$digest"
  buildkite-agent annotate --style success --context kv-image <<MARKDOWN
**Image pushed** from \`${BUILDKITE_COMMIT:0:12}\`: \`$image\`
MARKDOWN
fi
echo "pushed $image"
