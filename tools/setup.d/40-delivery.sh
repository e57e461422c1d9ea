# shellcheck shell=bash
# Delivery (.buildkite/, tools/promote, tools/release), sourced by
# kv_setup_test. Installs git (the promote tests drive real local bare
# repositories), ShellCheck (lints the step scripts) and buildkite-agent
# (`pipeline upload --dry-run`; about 4.5 minutes to build on 2 busy cores,
# once per version).

kv_apt git git
kv_apt shellcheck shellcheck
# Built from its wrapper module (tools/toolchain/go/buildkite-agent).
kv_go_tool buildkite-agent github.com/buildkite/agent/v3 "$BUILDKITE_AGENT_VERSION" \
  "$KV_ROOT/tools/toolchain/go/buildkite-agent"

# crane writes the image tools/release --local rehearses with.
kv_go_tool crane github.com/google/go-containerregistry/cmd/crane "$CRANE_VERSION"

# Argo CD (application controller and repo server, one binary named per
# component) for the end-to-end delivery tests in deploy/tests. Its
# gitops-engine is a nested module that its go.mod replaces with a path, so it
# builds inside the unpacked release tree (the source archive in the reference
# folder), once per version; about 8.5 minutes and 2.7 GB on 2 cores.
_kv_delivery_argocd() {
  local dir="$KV_CACHE/bin/argocd-$ARGOCD_VERSION"
  if [ ! -x "$dir/argocd" ]; then
    local ref="${KV_REFERENCE_DIR:-$KV_ROOT/../shared/reference}"
    local archive="$ref/sources/argo-cd-${ARGOCD_VERSION#v}.tar.gz"
    local src="$KV_CACHE/src/argo-cd-$ARGOCD_VERSION"
    [ -s "$archive" ] || kv_die "Argo CD $ARGOCD_VERSION source archive missing: $archive"
    command -v go >/dev/null 2>&1 || kv_die "go is needed to build Argo CD (install Go 1.26+)"
    kv_log "building Argo CD $ARGOCD_VERSION from source (once per version, about 9 minutes)"
    rm -rf "$src" && mkdir -p "$src" "$dir"
    tar -xzf "$archive" -C "$src" --strip-components=1 || kv_die "unpacking $archive failed"
    local pkg=github.com/argoproj/argo-cd/v3/common kubectl
    kubectl="$(cd "$src" && go list -m -f '{{.Version}}' k8s.io/client-go)" ||
      kv_die "reading Argo CD's client-go version failed"
    # The release's own link flags (its Makefile), so `argocd version` reports it.
    (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-X $pkg.version=${ARGOCD_VERSION#v} \
      -X $pkg.gitTag=$ARGOCD_VERSION -X $pkg.gitCommit=$ARGOCD_COMMIT -X $pkg.gitTreeState=clean \
      -X $pkg.kubectlVersion=$kubectl" -o "$dir/argocd.tmp" ./cmd) || kv_die "building Argo CD failed"
    mv "$dir/argocd.tmp" "$dir/argocd"
    rm -rf "$src"
  fi
  # The repo server runs this script of the release (its image ships it) on
  # every revision it reads.
  if [ ! -x "$dir/git-verify-wrapper.sh" ]; then
    local ref="${KV_REFERENCE_DIR:-$KV_ROOT/../shared/reference}"
    tar -xzf "$ref/sources/argo-cd-${ARGOCD_VERSION#v}.tar.gz" -O \
      "argo-cd-${ARGOCD_VERSION#v}/hack/git-verify-wrapper.sh" >"$dir/git-verify-wrapper.sh.tmp" ||
      kv_die "extracting git-verify-wrapper.sh from the Argo CD source archive failed"
    chmod +x "$dir/git-verify-wrapper.sh.tmp" && mv "$dir/git-verify-wrapper.sh.tmp" "$dir/git-verify-wrapper.sh"
  fi
  # The binary acts as the component it is called as.
  local component
  for component in argocd-application-controller argocd-repo-server; do
    ln -sfn argocd "$dir/$component"
  done
  export PATH="$dir:$PATH"
}
_kv_delivery_argocd
# The repo server renders the argo-cd Application's kustomization with it
# (the version Argo CD v3.5.1 ships with, its hack/tool-versions.sh).
kv_go_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION"
