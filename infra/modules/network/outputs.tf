output "load_balancer_ranges" {
  description = "Source ranges of the load balancer's front ends and health checks, which the firewall admits to the serving port (the workload's NetworkPolicy must admit the same)."
  value       = local.load_balancer_ranges
}

output "nat_name" {
  description = "Name of the Cloud NAT gateway."
  value       = google_compute_router_nat.this.name
}

output "network_id" {
  description = "ID of the VPC (projects/P/global/networks/N)."
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "Name of the VPC."
  value       = google_compute_network.this.name
}

output "node_tag" {
  description = "Network tag that node pools must carry for the baseline firewall rules."
  value       = var.firewall.node_tag
}

output "nodes_subnet_id" {
  description = "ID of the nodes subnet (with the pods and services secondary ranges)."
  value       = google_compute_subnetwork.nodes.id
}

output "pods_cidr" {
  description = "Pods secondary range, for capacity checks in the gke module."
  value       = var.subnets.pods_cidr
}

output "pods_range_name" {
  description = "Name of the pods secondary range."
  value       = local.pods_range_name
}

output "psc_cidr" {
  description = "Range of the subnet that holds the PSC endpoints (Redis), for egress rules."
  value       = var.subnets.psc_cidr
}

output "psc_subnet_id" {
  description = "ID of the subnet reserved for Private Service Connect endpoints."
  value       = google_compute_subnetwork.psc.id
}

output "redis_service_connection_policy_id" {
  description = "ID of the service connection policy that places Memorystore for Redis Cluster endpoints in the PSC subnet (a cluster needs it before creation)."
  value       = google_network_connectivity_service_connection_policy.redis.id
}

output "services_cidr" {
  description = "Secondary range of the cluster's Services (kube-dns takes its 10th address)."
  value       = var.subnets.services_cidr
}

output "services_range_name" {
  description = "Name of the services secondary range."
  value       = local.services_range_name
}
