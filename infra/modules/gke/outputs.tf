output "cluster_id" {
  description = "ID of the cluster (projects/P/locations/R/clusters/N)."
  value       = google_container_cluster.this.id
}

output "cluster_location" {
  description = "Region of the cluster."
  value       = google_container_cluster.this.location
}

output "cluster_name" {
  description = "Name of the cluster."
  value       = google_container_cluster.this.name
}

output "control_plane_dns_endpoint" {
  description = "IAM-gated DNS endpoint of the control plane (gcloud container clusters get-credentials --dns-endpoint)."
  value       = google_container_cluster.this.control_plane_endpoints_config[0].dns_endpoint_config[0].endpoint
}

output "maintenance_recurrence" {
  description = "RFC 5545 recurrence of the GKE maintenance window (its BYDAY days)."
  value       = google_container_cluster.this.maintenance_policy[0].recurring_window[0].recurrence
}

output "node_pool_name" {
  description = "Name of the workload node pool."
  value       = google_container_node_pool.workload.name
}

output "node_service_account_email" {
  description = "Email of the nodes' service account (grant it read access to the image repository)."
  value       = google_service_account.nodes.email
}

output "node_service_account_member" {
  description = "IAM member string of the nodes' service account."
  value       = google_service_account.nodes.member
}

output "workload_pool" {
  description = "Workload Identity pool of the cluster (PROJECT.svc.id.goog)."
  value       = local.workload_pool
}

output "workload_service_account_email" {
  description = "Email of the workload's Google service account (annotate the Kubernetes service account with it)."
  value       = google_service_account.workload.email
}

output "workload_service_account_member" {
  description = "IAM member string of the workload's Google service account."
  value       = google_service_account.workload.member
}
