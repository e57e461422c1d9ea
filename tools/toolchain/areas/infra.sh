# shellcheck shell=bash
# Terraform (infra/): the CLI, the google provider, tflint with the google
# ruleset, checkov. The provider and the ruleset are built from their released
# source (tools/toolchain/README.md); tests point Terraform at the provider
# with a generated CLI config (dev_overrides, KV_GOOGLE_PROVIDER_DIR), so the
# lock file's registry checksums are never compared with this build, and
# tflint at the ruleset through TFLINT_PLUGIN_DIR, laid out as `tflint --init`
# installs it, so infra/.tflint.hcl is used unchanged.
kv_terraform
# The chart is rendered to check the Service the SLO watches.
kv_go_tool helm helm.sh/helm/v4/cmd/helm "v$(kv_pin helm)"
kv_go_tool tflint github.com/terraform-linters/tflint "v$(kv_pin tflint)"
kv_pip_tool checkov "$KV_ROOT/tools/checkov/requirements.lock"
# Writes each module's requirements, resources, inputs and outputs into its
# README (tools/generate, with infra/.terraform-docs.yml).
kv_go_tool terraform-docs github.com/terraform-docs/terraform-docs "v$(kv_pin terraform-docs)" \
  "$KV_TOOLCHAIN/go/terraform-docs"

_kv_google="$(kv_pin KV_GOOGLE_PROVIDER_VERSION)"
KV_GOOGLE_PROVIDER_DIR="$KV_CACHE/bin/terraform-provider-google-$_kv_google"
# The version stamp the provider's release build sets (it goes into the API
# user agent).
kv_source_tool terraform-provider-google "$_kv_google" "terraform-provider-google-$_kv_google.tar.gz" . \
  "$KV_GOOGLE_PROVIDER_DIR/terraform-provider-google" \
  "-X github.com/hashicorp/terraform-provider-google/version.ProviderVersion=$_kv_google" || true
export KV_GOOGLE_PROVIDER_DIR

_kv_ruleset="$(kv_pin KV_TFLINT_RULESET_GOOGLE_VERSION)"
TFLINT_PLUGIN_DIR="$KV_CACHE/tflint-plugins/google-$_kv_ruleset"
kv_source_tool tflint-ruleset-google "$_kv_ruleset" "tflint-ruleset-google-$_kv_ruleset.tar.gz" . \
  "$TFLINT_PLUGIN_DIR/github.com/terraform-linters/tflint-ruleset-google/$_kv_ruleset/tflint-ruleset-google" || true
export TFLINT_PLUGIN_DIR
