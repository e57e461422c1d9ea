# shellcheck shell=bash
# Argo CD's application controller and repo server, run against tools/cluster
# (tools/delivery/local_argocd.py). One binary acts as every component by the
# name it is called as. Its go.mod replaces its nested gitops-engine module
# with a path, so it is built inside the release's source tree, with the
# release's own link flags so that `argocd version` reports it.
# deploy/tests/test_argocd_sync.py drives them; about 9 minutes to build cold
# on 2 idle cores, so only the paths that hold that test install it.
_kv_argocd="$(kv_pin argocd)"
_kv_argocd_dir="$KV_CACHE/bin/argocd-v$_kv_argocd"
# The commit of tag v$_kv_argocd (the reference archive's SOURCES.md).
_kv_argocd_commit=109ca7ca71139e514114499d294a492e7910a965
_kv_argocd_pkg=github.com/argoproj/argo-cd/v3/common
if kv_source_tool argocd "$_kv_argocd" "argo-cd-$_kv_argocd.tar.gz" ./cmd "$_kv_argocd_dir/argocd" \
  "-X $_kv_argocd_pkg.version=$_kv_argocd -X $_kv_argocd_pkg.gitTag=v$_kv_argocd -X $_kv_argocd_pkg.gitCommit=$_kv_argocd_commit -X $_kv_argocd_pkg.gitTreeState=clean"; then
  # The repo server runs the release's git-verify-wrapper.sh (its image ships
  # it) on every revision it reads.
  if [ ! -x "$_kv_argocd_dir/git-verify-wrapper.sh" ]; then
    tar -xzf "$KV_REFERENCE_DIR/sources/argo-cd-$_kv_argocd.tar.gz" -O \
      "argo-cd-$_kv_argocd/hack/git-verify-wrapper.sh" >"$_kv_argocd_dir/git-verify-wrapper.sh" ||
      kv_die "extracting git-verify-wrapper.sh from the Argo CD source archive failed"
    chmod +x "$_kv_argocd_dir/git-verify-wrapper.sh"
  fi
  ln -sfn argocd "$_kv_argocd_dir/argocd-application-controller"
  ln -sfn argocd "$_kv_argocd_dir/argocd-repo-server"
  kv_path "$_kv_argocd_dir"
fi
# The repo server renders the argo-cd Application's kustomization with it (the
# version Argo CD's release ships).
kv_go_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "v$(kv_pin kustomize)"
