#!/usr/bin/env bash
# Push step (main only): authenticates to Google Cloud without keys, builds
# the image reproducibly, pushes it by digest, and hands the digest to the
# promote step (build meta-data) and to people (a build annotation).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/gcp-auth.sh"
cd "$(dirname "$0")/../.."

push_target=//services/kv:image_push
# The values file rendered from the same image index's digest (a genrule
# around `tools/promote render`).
values_target=//deploy:image_values
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

bazel build "${flags[@]}" "$push_target" "$values_target"
values="$(bazel cquery "${flags[@]}" --output=files "$values_target")"
image="$(tools/promote show "$values")" # REPOSITORY@DIGEST, validated
kv_docker_auth "$creds" "${image%%/*}"

bazel run "${flags[@]}" "$push_target"

if [ -n "${BUILDKITE_JOB_ID:-}" ]; then
  buildkite-agent meta-data set kv-image "$image"
  buildkite-agent annotate --style success --context kv-image <<MARKDOWN
**Image pushed** from \`${BUILDKITE_COMMIT:0:12}\`: \`$image\`
MARKDOWN
fi
echo "pushed $image"
