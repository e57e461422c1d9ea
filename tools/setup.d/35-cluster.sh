# shellcheck shell=bash
# Tools for tools/cluster (a local Kubernetes control plane with simulated
# nodes): etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl and kwok, each built once per version into $KV_CACHE.
# Versions: tools/versions.env. Sourced by kv_setup_test and by tools/cluster.

# kv_go_build NAME VERSION MODULE_DIR LDFLAGS PACKAGE...: builds the packages
# of MODULE_DIR (a module whose go.mod pins them) into one cached folder and
# puts it on PATH. The build log is shown only when the build fails.
kv_go_build() {
  local name="$1" version="$2" module="$3" ldflags="$4"; shift 4
  local dir="$KV_CACHE/bin/$name-$version"
  if [ ! -e "$dir/.built" ]; then
    command -v go >/dev/null 2>&1 || kv_die "go is needed to build $name (install Go 1.24+)"
    kv_log "building $name $version (once per version; several minutes)"
    local tmp log start=$SECONDS
    tmp="$(mktemp -d "$KV_CACHE/bin/.$name-$version.XXXXXX")"
    log="$tmp/build.log"
    if ! (cd "$module" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp/" "$@") >"$log" 2>&1; then
      cat "$log" >&2
      rm -rf "$tmp"
      kv_die "building $name $version failed"
    fi
    rm -f "$log"
    touch "$tmp/.built"
    # Another worktree may have finished the same build first: keep its copy.
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
    kv_log "built $name $version in $((SECONDS - start)) s"
  fi
  export PATH="$dir:$PATH"
}

# The version the binaries report (kubectl warns on skew, kwok and the
# apiserver's /version read it); `go build` alone would say v0.0.0.
_kv_k8s_version_flags() {
  local v="$KUBERNETES_VERSION" minor
  minor="$(cut -d. -f2 <<<"$v")"
  local pkg flags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  printf '%s\n' "$flags"
}

kv_go_build kubernetes "$KUBERNETES_VERSION" "$KV_ROOT/tools/toolchain/go/kubernetes" \
  "$(_kv_k8s_version_flags)" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
kv_go_build etcd "$ETCD_VERSION" "$KV_ROOT/tools/toolchain/go/etcd" "-s -w" .
kv_go_tool kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION"
kv_apt openssl openssl
kv_apt curl curl
