# shellcheck shell=bash
# The benchmark (tools/bench): wrk from Debian, and the chart and profiler
# packages into .venv from the bench's own hashed lock.
kv_apt wrk wrk
kv_check_version wrk "$(kv_pin wrk)" "$(wrk -v 2>&1 | head -n1)"
kv_pip_sync "$KV_VENV" "$KV_ROOT/tools/benchmark/requirements.lock"
