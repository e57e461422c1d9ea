# shellcheck shell=bash
# Bazel files (issue 15), sourced by kv_setup_test. Builds the loading-phase
# check tools/bazel/starlark-check (go.starlark.net) once per version of its
# sources; tools/tests/test_bazel_loading.py runs it over the pinned rulesets'
# Starlark in ${KV_REFERENCE_DIR:-$KV_ROOT/../shared/reference}/bazel.

kv_bazel_starlark_check() {
  local src="$KV_ROOT/tools/bazel/starlark-check" key
  key="$(cat "$src"/go.mod "$src"/go.sum "$src"/*.go | sha256sum | cut -c1-12)"
  kv_go_tool bazel-starlark-check . "$GO_STARLARK_VERSION-$key" "$src"
}
kv_bazel_starlark_check
