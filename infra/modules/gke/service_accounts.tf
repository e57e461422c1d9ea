# Nodes run as a dedicated service account with only the node role (logs,
# metrics, metadata): never the Compute Engine default account, which has
# Editor on the project.
resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = local.node_service_account_id
  display_name = "GKE nodes of ${var.cluster.name}"
  description  = "Least-privilege identity of the ${var.cluster.name} node VMs."
}

resource "google_project_iam_member" "nodes" {
  project = var.project_id
  role    = "roles/container.defaultNodeServiceAccount"
  member  = google_service_account.nodes.member
}

locals {
  # Service account ids are 6-30 characters: a long cluster name is cut and
  # a hash of the whole keeps the id unique.
  node_service_account_id = length(var.cluster.name) <= 24 ? "${var.cluster.name}-nodes" : "${trimsuffix(substr(var.cluster.name, 0, 17), "-")}-${substr(sha256(var.cluster.name), 0, 6)}-nodes"
}
