# shellcheck shell=bash
# Tools for deploy/ (the Helm chart and the Argo CD objects): sourced by
# kv_setup_test. Each is built or installed once per version into $KV_CACHE,
# so a warm machine spends nothing here. Versions: tools/versions.env.

kv_go_tool helm helm.sh/helm/v4/cmd/helm "$HELM_VERSION"
kv_go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
# helm-unittest's go.mod has a replace directive, so it builds from a wrapper
# module that repeats it (go install module@version refuses replaces).
kv_go_tool helm-unittest github.com/helm-unittest/helm-unittest/cmd/helm-unittest \
  "$HELM_UNITTEST_VERSION" "$KV_ROOT/deploy/tools/helm-unittest"

# checkov (PyPI) is the policy check; kube-linter is not served by the Go
# module proxy here. Its own virtualenv keeps its many pins out of the test lock.
_kv_checkov_lock="$KV_ROOT/deploy/tools/checkov/requirements.lock"
_kv_checkov_key="checkov-$(sha256sum "$_kv_checkov_lock" | cut -c1-12)"
kv_python_venv "$KV_CACHE/venvs/$_kv_checkov_key" >/dev/null
kv_pip_sync "$KV_CACHE/venvs/$_kv_checkov_key" "$_kv_checkov_lock"
# Only the checkov command goes on PATH, not the venv's python.
mkdir -p "$KV_CACHE/bin/$_kv_checkov_key"
ln -sfn "$KV_CACHE/venvs/$_kv_checkov_key/bin/checkov" "$KV_CACHE/bin/$_kv_checkov_key/checkov"
export PATH="$KV_CACHE/bin/$_kv_checkov_key:$PATH"
unset _kv_checkov_lock _kv_checkov_key

# Lints deploy/argocd/bootstrap.sh, the one command that bootstraps Argo CD.
kv_apt shellcheck shellcheck
