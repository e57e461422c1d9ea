# shellcheck shell=bash
# tools/cluster, a local Kubernetes control plane with simulated nodes:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and
# kwok, each built once per version; openssl makes its certificates.

# The version the binaries report (kubectl warns on skew, kwok and the
# apiserver's /version read it); `go build` alone would say v0.0.0.
_kv_k8s_version_flags() {
  local v="v$1" minor
  minor="$(cut -d. -f2 <<<"$1")"
  local pkg flags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  printf '%s\n' "$flags"
}

kv_go_module kubernetes "v$(kv_pin kubectl)" "$KV_TOOLCHAIN/go/kubernetes" \
  "$(_kv_k8s_version_flags "$(kv_pin kubectl)")" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
kv_go_module etcd "v$(kv_pin etcd)" "$KV_TOOLCHAIN/go/etcd" "-s -w" .
kv_go_tool kwok sigs.k8s.io/kwok/cmd/kwok "v$(kv_pin aqua:kubernetes-sigs/kwok)"
kv_apt openssl openssl
kv_apt curl curl
