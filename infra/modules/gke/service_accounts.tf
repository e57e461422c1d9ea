# Nodes run as a dedicated service account with only the node role (logs,
# metrics, metadata): never the Compute Engine default account, which has
# Editor on the project.
resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = "${var.cluster.name}-nodes"
  display_name = "GKE nodes of ${var.cluster.name}"
  description  = "Least-privilege identity of the ${var.cluster.name} node VMs."
}

resource "google_project_iam_member" "nodes" {
  project = var.project_id
  role    = "roles/container.defaultNodeServiceAccount"
  member  = google_service_account.nodes.member
}
