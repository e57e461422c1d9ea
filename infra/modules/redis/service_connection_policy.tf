# Memorystore for Redis Cluster is reached over Private Service Connect: this
# policy lets the service create its endpoints in our PSC subnet, so the
# cluster gets addresses inside the VPC and no peering is needed.
resource "google_network_connectivity_service_connection_policy" "redis" {
  project       = var.project_id
  name          = "${var.cluster.name}-psc"
  location      = var.region
  service_class = "gcp-memorystore-redis"
  network       = var.network.network_id
  description   = "Private Service Connect endpoints for Memorystore for Redis Cluster ${var.cluster.name}."

  psc_config {
    subnetworks = var.network.psc_subnet_ids
  }
}
