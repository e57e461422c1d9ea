# The workload's Google identity. Pods using the Kubernetes service account
# namespace/name get its token from the GKE metadata server; no keys exist.
resource "google_service_account" "workload" {
  project      = var.project_id
  account_id   = var.workload_identity.google_service_account_id
  display_name = "Workload ${var.workload_identity.namespace}/${var.workload_identity.service_account}"
  description  = "Used by Kubernetes service account ${var.workload_identity.namespace}/${var.workload_identity.service_account} through Workload Identity."
}

resource "google_service_account_iam_member" "workload_identity_user" {
  service_account_id = google_service_account.workload.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${local.workload_pool}[${var.workload_identity.namespace}/${var.workload_identity.service_account}]"

  # The identity pool exists once the cluster has Workload Identity enabled.
  depends_on = [google_container_cluster.this]
}

locals {
  workload_pool = "${var.project_id}.svc.id.goog"
}
