# shellcheck shell=bash
# The Bazel files' checks: buildifier (npm) formats and lints them; the
# loading check tools/bazel/starlark-check (go.starlark.net, keyed by its
# sources) evaluates them with the pinned rulesets' own Starlark.
kv_npm_tool buildifier @bazel/buildifier "$(kv_pin npm:@bazel/buildifier)"
_kv_bazel_check_key="$(cat "$KV_ROOT"/tools/bazel/starlark-check/{go.mod,go.sum,*.go} | sha256sum | cut -c1-12)"
kv_go_tool bazel-starlark-check . "$_kv_bazel_check_key" "$KV_ROOT/tools/bazel/starlark-check"
