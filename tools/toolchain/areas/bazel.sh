# shellcheck shell=bash
# The Bazel files' checks: buildifier (npm) formats and lints them.
kv_npm_tool buildifier @bazel/buildifier "$(kv_pin npm:@bazel/buildifier)"
