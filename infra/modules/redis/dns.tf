locals {
  # redis.kv.internal -> zone kv.internal.
  dns_zone_domain = "${join(".", slice(split(".", var.dns_name), 1, length(split(".", var.dns_name))))}."
  dns_zone_name   = replace(trimsuffix(local.dns_zone_domain, "."), ".", "-")
}

# A stable name for the cluster's discovery endpoint, so the chart's
# REDIS_URL never carries an address that changes when the cluster is
# recreated.
resource "google_dns_managed_zone" "internal" {
  #checkov:skip=CKV_GCP_16:DNSSEC protects public zones; Cloud DNS does not offer it for private zones.
  project     = var.project_id
  name        = local.dns_zone_name
  dns_name    = local.dns_zone_domain
  description = "Private names for services inside the VPC (Memorystore discovery endpoint)."
  visibility  = "private"
  labels      = var.labels

  private_visibility_config {
    networks {
      network_url = var.network.network_id
    }
  }
}

resource "google_dns_record_set" "redis" {
  project      = var.project_id
  managed_zone = google_dns_managed_zone.internal.name
  name         = "${var.dns_name}."
  type         = "A"
  ttl          = 60
  rrdatas      = [google_redis_cluster.this.discovery_endpoints[0].address]
}
