# shellcheck shell=bash
# The service's tests (services/kv/tests): real redis-server processes
# (standalone, and a cluster formed with redis-cli), gunicorn as in
# production, runc for the image's runtime contract, openssl for a throwaway
# TLS CA. All from Debian.
kv_apt redis-cli redis-tools
kv_apt runc runc
kv_apt openssl openssl
kv_check_version redis-server "$(kv_pin redis)" "$(redis-server --version 2>/dev/null)"
kv_check_version runc "$(kv_pin aqua:opencontainers/runc)" "$(runc --version 2>/dev/null | head -n1)"
