# Google-managed certificate validated by a DNS authorization, so it is
# issued before traffic moves and renews without depending on the load
# balancer serving HTTP challenges.
resource "google_certificate_manager_dns_authorization" "this" {
  project     = var.project_id
  name        = var.names.dns_authorization
  description = "Proves control of ${var.hostname} for the managed certificate."
  domain      = var.hostname
  labels      = var.labels
}

resource "google_certificate_manager_certificate" "this" {
  project     = var.project_id
  name        = var.names.certificate
  description = "Managed certificate for ${var.hostname}."
  scope       = "DEFAULT"
  labels      = var.labels

  managed {
    domains            = [var.hostname]
    dns_authorizations = [google_certificate_manager_dns_authorization.this.id]
  }
}

# The Gateway refers to the map by name (networking.gke.io/certmap).
resource "google_certificate_manager_certificate_map" "this" {
  project     = var.project_id
  name        = var.names.certificate_map
  description = "Certificates served by the kv Gateway."
  labels      = var.labels
}

resource "google_certificate_manager_certificate_map_entry" "this" {
  project      = var.project_id
  name         = local.map_entry_name
  description  = "Serves ${var.names.certificate} for ${var.hostname}."
  map          = google_certificate_manager_certificate_map.this.name
  hostname     = var.hostname
  certificates = [google_certificate_manager_certificate.this.id]
  labels       = var.labels
}

locals {
  # Names are at most 63 characters: a long hostname is cut and a hash of
  # the whole keeps the name unique.
  map_entry_full = "${var.names.certificate_map}-${replace(var.hostname, ".", "-")}"
  map_entry_name = length(local.map_entry_full) <= 63 ? local.map_entry_full : "${trimsuffix(substr(local.map_entry_full, 0, 50), "-")}-${substr(sha256(var.hostname), 0, 12)}"
}
