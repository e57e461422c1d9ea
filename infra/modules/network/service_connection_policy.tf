# Memorystore for Redis Cluster is reached over Private Service Connect: this
# policy lets the service create its endpoints in the PSC subnet, so clusters
# get addresses inside the VPC and no peering is needed. There is one policy
# per network, region and service class, whatever the number of clusters, so
# it belongs to the network rather than to a cluster.
resource "google_network_connectivity_service_connection_policy" "redis" {
  project       = var.project_id
  name          = "${var.name}-redis-psc"
  location      = var.region
  service_class = "gcp-memorystore-redis"
  network       = google_compute_network.this.id
  description   = "Private Service Connect endpoints of Memorystore for Redis Cluster in ${var.name}."

  psc_config {
    subnetworks = [google_compute_subnetwork.psc.id]
  }
}
