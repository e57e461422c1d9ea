# shellcheck shell=bash
# Tools for deploy/ (the Helm chart and the Argo CD objects): sourced by
# kv_setup_test. Each is built or installed once per version into $KV_CACHE,
# so a warm machine spends nothing here. Versions: tools/versions.env.

kv_go_tool helm helm.sh/helm/v4/cmd/helm "$HELM_VERSION"
kv_go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
kv_go_tool helm-docs github.com/norwoodj/helm-docs/cmd/helm-docs "$HELM_DOCS_VERSION"
# helm-unittest's go.mod has a replace directive, so it builds from a wrapper
# module that repeats it (go install module@version refuses replaces).
kv_go_tool helm-unittest github.com/helm-unittest/helm-unittest/cmd/helm-unittest \
  "$HELM_UNITTEST_VERSION" "$KV_ROOT/deploy/tools/helm-unittest"

# checkov (PyPI) is the policy check (kube-linter is not served by the Go
# module proxy here); shared with infra/, see tools/lib/bootstrap.sh.
kv_checkov

# Lints deploy/argocd/bootstrap.sh, the one command that bootstraps Argo CD.
kv_apt shellcheck shellcheck
