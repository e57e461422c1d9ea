# Custom-mode VPC: no auto-created subnets in every region, so the only
# addresses in use are the ones declared here.
resource "google_compute_network" "this" {
  project                         = var.project_id
  name                            = var.name
  auto_create_subnetworks         = false
  routing_mode                    = "REGIONAL"
  delete_default_routes_on_create = false
}

# Nodes on the primary range; pods and services on secondary ranges
# (VPC-native). Private Google Access lets private nodes reach Google APIs
# without NAT.
resource "google_compute_subnetwork" "nodes" {
  project                  = var.project_id
  name                     = "${var.name}-nodes"
  region                   = var.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = var.subnets.nodes_cidr
  private_ip_google_access = true
  stack_type               = "IPV4_ONLY"

  secondary_ip_range {
    range_name    = local.pods_range_name
    ip_cidr_range = var.subnets.pods_cidr
  }

  secondary_ip_range {
    range_name    = local.services_range_name
    ip_cidr_range = var.subnets.services_cidr
  }

  log_config {
    aggregation_interval = var.flow_logs.aggregation_interval
    flow_sampling        = var.flow_logs.sampling
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# Addresses for Private Service Connect endpoints that the Memorystore
# service connection policy creates (one subnet, used by nothing else).
resource "google_compute_subnetwork" "psc" {
  project                  = var.project_id
  name                     = "${var.name}-psc"
  region                   = var.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = var.subnets.psc_cidr
  private_ip_google_access = true
  stack_type               = "IPV4_ONLY"

  log_config {
    aggregation_interval = var.flow_logs.aggregation_interval
    flow_sampling        = var.flow_logs.sampling
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

locals {
  pods_range_name     = "${var.name}-pods"
  services_range_name = "${var.name}-services"
}
