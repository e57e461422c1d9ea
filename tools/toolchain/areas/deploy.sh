# shellcheck shell=bash
# The Helm chart and the Argo CD objects (deploy/); the tests that apply them
# to a real API server also use the cluster area's tools.
kv_go_tool helm helm.sh/helm/v4/cmd/helm "v$(kv_pin helm)"
kv_go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "v$(kv_pin kubeconform)"
kv_go_tool helm-unittest github.com/helm-unittest/helm-unittest/cmd/helm-unittest \
  "v$(kv_pin aqua:helm-unittest/helm-unittest)" "$KV_TOOLCHAIN/go/helm-unittest"
# Writes the chart's README from the values' `# --` comments.
kv_go_tool helm-docs github.com/norwoodj/helm-docs/cmd/helm-docs "v$(kv_pin helm-docs)"
# Writes the chart's values.schema.json from the values' `# @schema` annotations.
kv_go_tool helm-values-schema-json github.com/losisin/helm-values-schema-json/v2 \
  "v$(kv_pin go:github.com/losisin/helm-values-schema-json/v2)" "$KV_TOOLCHAIN/go/helm-values-schema-json"
kv_pip_tool checkov "$KV_ROOT/tools/checkov/requirements.lock"
kv_apt shellcheck shellcheck
