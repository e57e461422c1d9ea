# Shared set-up for the commands in tools/: sourced, never run.
#
# Everything a command needs is installed here, idempotently, so that a fresh
# Debian machine with Python, Go and Node needs nothing else. Slow builds go
# to a cache keyed by tool and version ($KV_CACHE), which survives fresh
# clones on the same machine; the project-local virtualenv is .venv.

KV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KV_CACHE="${KV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kv-platform}"
KV_VENV="$KV_ROOT/.venv"
export KV_ROOT KV_CACHE
set -a
# shellcheck source=../versions.env
source "$KV_ROOT/tools/versions.env"
set +a
mkdir -p "$KV_CACHE"

kv_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
kv_die() { kv_log "error: $*"; exit 1; }

# The interpreter the lock files were resolved for.
kv_python() {
  local py
  for py in "python$PYTHON_VERSION" python3; do
    if command -v "$py" >/dev/null 2>&1 &&
      "$py" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$PYTHON_VERSION'.split('.'))))"; then
      command -v "$py"
      return
    fi
  done
  kv_die "Python $PYTHON_VERSION not found (install it, e.g. apt-get install python$PYTHON_VERSION-venv)"
}

# kv_python_venv DIR: a virtualenv at DIR (created once).
kv_python_venv() {
  [ -x "$1/bin/python" ] || "$(kv_python)" -m venv "$1" || kv_die "cannot create virtualenv $1"
  printf '%s\n' "$1"
}

# kv_pip_sync VENV LOCK...: installs each hashed lock into VENV, skipping a
# lock that has not changed since it was last installed there.
kv_pip_sync() {
  local venv="$1"; shift
  local lock stamp want
  for lock in "$@"; do
    stamp="$venv/.lock-$(basename "$(dirname "$lock")")-$(basename "$lock").sha256"
    want="$(sha256sum "$lock" | cut -d' ' -f1)"
    [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && continue
    kv_log "installing Python packages from ${lock#"$KV_ROOT"/}"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$lock" ||
      kv_die "pip install -r $lock failed"
    printf '%s\n' "$want" >"$stamp"
  done
}

# The project virtualenv with the service's runtime lock (and the test lock
# when asked: kv_venv test).
kv_venv() {
  kv_python_venv "$KV_VENV" >/dev/null
  local locks=("$KV_ROOT/services/kv/requirements.lock")
  [ "${1:-}" = test ] && locks+=("$KV_ROOT/tools/requirements-test.lock")
  kv_pip_sync "$KV_VENV" "${locks[@]}"
  export PATH="$KV_VENV/bin:$PATH"
}

_kv_apt_updated=""
# kv_apt COMMAND PACKAGE...: installs Debian packages when COMMAND is missing.
kv_apt() {
  local cmd="$1"; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || kv_die "$cmd is missing: run 'sudo apt-get install $*' (or run this as root)"
  kv_log "installing $* (Debian) for $cmd"
  if [ -z "$_kv_apt_updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || kv_die "apt-get update failed"
    _kv_apt_updated=1
  fi
  # Packages with daemons (redis-server) must not start one: tests and
  # tools/dev start their own on free loopback ports.
  local policy=/usr/sbin/policy-rc.d had_policy=""
  [ -e "$policy" ] && had_policy=1
  if [ -z "$had_policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  local rc=$?
  [ -n "$had_policy" ] || rm -f "$policy"
  [ "$rc" = 0 ] || kv_die "apt-get install $* failed"
  command -v "$cmd" >/dev/null 2>&1 || kv_die "$cmd still missing after installing $*"
}

# kv_go_tool NAME MODULE/PATH VERSION [BUILD_DIR]: builds a Go command once per
# version into the cache and puts it on PATH. BUILD_DIR, when given, is a
# wrapper module (for tools whose go.mod has replace directives) built with
# 'go build' instead of 'go install'.
kv_go_tool() {
  local name="$1" pkg="$2" version="$3" wrapper="${4:-}"
  local dir="$KV_CACHE/bin/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    command -v go >/dev/null 2>&1 || kv_die "go is needed to build $name (install Go 1.24+)"
    kv_log "building $name $version from the Go module proxy (once per version)"
    mkdir -p "$dir"
    if [ -n "$wrapper" ]; then
      (cd "$wrapper" && CGO_ENABLED=0 go build -trimpath -o "$dir/$name" "$pkg") ||
        kv_die "building $name failed"
    else
      CGO_ENABLED=0 GOBIN="$dir" go install -trimpath "$pkg@$version" || kv_die "go install $pkg@$version failed"
      local built; built="$(basename "$pkg")"
      [ "$built" = "$name" ] || mv "$dir/$built" "$dir/$name"
    fi
  fi
  export PATH="$dir:$PATH"
}

# kv_npm_tool NAME PACKAGE VERSION: an npm package's command, once per version.
kv_npm_tool() {
  local name="$1" pkg="$2" version="$3"
  local dir="$KV_CACHE/npm/$name-$version"
  if [ ! -x "$dir/node_modules/.bin/$name" ]; then
    command -v npm >/dev/null 2>&1 || kv_die "npm is needed to install $pkg"
    kv_log "installing $pkg@$version from npm (once per version)"
    mkdir -p "$dir"
    npm install --silent --no-audit --no-fund --prefix "$dir" "$pkg@$version" >/dev/null ||
      kv_die "npm install $pkg@$version failed"
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
}

# checkov (PyPI) in its own virtualenv, keyed by its lock; only the command
# goes on PATH, so the venv's python never shadows .venv's. Used by the
# infra and deploy tests alike.
kv_checkov() {
  local lock="$KV_ROOT/tools/checkov/requirements.lock" key
  key="checkov-$(sha256sum "$lock" | cut -c1-12)"
  kv_python_venv "$KV_CACHE/venvs/$key" >/dev/null
  kv_pip_sync "$KV_CACHE/venvs/$key" "$lock"
  mkdir -p "$KV_CACHE/bin/$key"
  ln -sfn "$KV_CACHE/venvs/$key/bin/checkov" "$KV_CACHE/bin/$key/checkov"
  export PATH="$KV_CACHE/bin/$key:$PATH"
}

# Everything tools/dev needs.
kv_setup_dev() {
  kv_venv
  kv_apt redis-server redis-server
}

# Everything tools/test needs: the dev set-up, the test lock, and each area's
# tools from tools/setup.d/*.sh (sourced in name order; one file per area).
kv_setup_test() {
  kv_setup_dev
  kv_venv test
  kv_npm_tool buildifier @bazel/buildifier "$BUILDIFIER_VERSION"
  local f
  for f in "$KV_ROOT"/tools/setup.d/*.sh; do
    [ -e "$f" ] || continue
    # shellcheck source=/dev/null
    source "$f"
  done
}
