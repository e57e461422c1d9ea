# shellcheck shell=bash
# Delivery (.buildkite/, tools/promote, tools/release): git drives real local
# bare repositories, ShellCheck lints the step scripts, buildkite-agent runs
# `pipeline upload --dry-run`.
kv_apt git git
kv_apt shellcheck shellcheck
kv_go_tool buildkite-agent github.com/buildkite/agent/v3 "v$(kv_pin aqua:buildkite/agent)" \
  "$KV_TOOLCHAIN/go/buildkite-agent"
# tools/release --local writes the image it rehearses with.
kv_go_tool crane github.com/google/go-containerregistry/cmd/crane "v$(kv_pin crane)"
