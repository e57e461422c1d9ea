# shellcheck shell=bash
# Keyless Google Cloud credentials for one job; sourced by the step scripts.
# KV_WIF_AUDIENCE (//iam.googleapis.com/projects/NUMBER/.../providers/ID) and
# KV_CI_SERVICE_ACCOUNT come from identity.sh, generated from infra/envs/prod.
# The caller owns DIR (mktemp -d, removed on exit); nothing is written elsewhere.

# shellcheck source=.buildkite/steps/lib/identity.sh
source "$(dirname "${BASH_SOURCE[0]}")/identity.sh"

# kv_gcp_auth DIR
#   1. asks the agent for this job's Buildkite OIDC token, with the Workload
#      Identity Federation provider as its audience;
#   2. writes an external-account credentials file that exchanges the token
#      at Google STS and impersonates $KV_CI_SERVICE_ACCOUNT (no key exists);
#   3. points gcloud and Google client libraries (Bazel) at it.
kv_gcp_auth() {
  local dir="$1"
  local token="$dir/buildkite-oidc.jwt" creds="$dir/credentials.json"

  # The provider's default allowed audience: its full canonical name.
  (umask 077 && buildkite-agent oidc request-token \
    --audience "$KV_WIF_AUDIENCE" --lifetime 3600 >"$token")

  export CLOUDSDK_CONFIG="$dir/gcloud"
  gcloud iam workload-identity-pools create-cred-config "${KV_WIF_AUDIENCE#//iam.googleapis.com/}" \
    --service-account="$KV_CI_SERVICE_ACCOUNT" \
    --credential-source-file="$token" \
    --output-file="$creds" --quiet
  export GOOGLE_APPLICATION_CREDENTIALS="$creds"
  gcloud auth login --cred-file="$creds" --quiet
  # Exchange now, so a broken WIF trust fails here with a clear message
  # rather than halfway through a push.
  gcloud auth print-access-token >/dev/null || {
    echo "Google auth failed: check the WIF provider's attribute condition and" \
      "the pusher's roles/iam.workloadIdentityUser binding" >&2
    return 1
  }
}

# kv_docker_auth DIR REGISTRY_HOST: registry credentials for rules_oci's
# pusher, through gcloud's docker credential helper (no token on disk).
kv_docker_auth() {
  export DOCKER_CONFIG="$1/docker"
  gcloud auth configure-docker "$2" --quiet
}
