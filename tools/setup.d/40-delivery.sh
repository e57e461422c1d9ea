# shellcheck shell=bash
# Delivery (.buildkite/, tools/promote, tools/release), sourced by
# kv_setup_test. Installs git (the promote tests drive real local bare
# repositories), ShellCheck (lints the step scripts) and buildkite-agent
# (`pipeline upload --dry-run`; about 4.5 minutes to build on 2 busy cores,
# once per version).

kv_apt git git
kv_apt shellcheck shellcheck
# The agent's own go.mod has no replace, but one dependency's vanity host is
# not reachable from the module proxy here: the wrapper module redirects it
# (see .buildkite/tools/agent/go.mod).
kv_go_tool buildkite-agent github.com/buildkite/agent/v3 "$BUILDKITE_AGENT_VERSION" \
  "$KV_ROOT/.buildkite/tools/agent"
