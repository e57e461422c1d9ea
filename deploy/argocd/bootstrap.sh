#!/usr/bin/env bash
# Bootstraps Argo CD on a new cluster, once. Afterwards Argo CD manages itself
# (clusters/<cluster>/argo-cd.yaml) and everything else in deploy/ from git;
# nobody runs kubectl against the cluster again.
#
# Usage: deploy/argocd/bootstrap.sh KUBE_CONTEXT [CLUSTER]
#   KUBE_CONTEXT  the kubectl context of the target cluster (named explicitly
#                 so the current context is never assumed)
#   CLUSTER       folder under deploy/argocd/clusters/ (default: prod)
set -euo pipefail

context="${1:?usage: $0 KUBE_CONTEXT [CLUSTER]}"
cluster="${2:-prod}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cluster_dir="$here/clusters/$cluster"
[ -d "$cluster_dir" ] || { echo "$0: no cluster folder $cluster_dir" >&2; exit 2; }

kc() { kubectl --context "$context" "$@"; }
# Both applies write as Argo CD's own field manager, the one its server-side
# syncs use: Argo CD then owns every field it was bootstrapped with, so a
# field later deleted from git is removed from the cluster, not kept by a
# second owner. --force-conflicts takes over fields another manager set
# first (argocd-server creates the `default` project wide open on start).
apply() { kc apply --server-side --field-manager=argocd-controller --force-conflicts "$@"; }

# 1. Argo CD itself, at the pinned release. Server-side apply: its CRDs are
#    too large for client-side apply's last-applied annotation.
apply -k "$here/bootstrap/argo-cd"

# 2. The Argo CD kinds must be served before objects of those kinds are sent.
kc wait --for=condition=Established --timeout=120s \
  crd/applications.argoproj.io crd/appprojects.argoproj.io crd/applicationsets.argoproj.io
kc -n argocd rollout status statefulset/argocd-application-controller --timeout=300s
kc -n argocd rollout status deployment/argocd-repo-server --timeout=300s

# 3. The cluster's projects and Applications, root included: from here on the
#    root Application syncs this same folder from git.
apply -f "$cluster_dir"

echo "Argo CD is bootstrapped on $context; watch it sync: kubectl --context $context -n argocd get applications"
