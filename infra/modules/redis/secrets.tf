locals {
  # The cluster's managed server CA chain(s), PEM, for KV_REDIS_TLS_CA_FILE.
  redis_ca_bundle = join("\n", flatten([
    for ca in google_redis_cluster.this.managed_server_ca : [
      for chain in ca.ca_certs : chain.certificates
    ]
  ]))
}

resource "google_secret_manager_secret" "redis_ca" {
  project   = var.project_id
  secret_id = var.secrets.ca_secret_id
  labels    = var.labels

  replication {
    auto {}
  }
}

# Not confidential (a CA certificate) but delivered like every other file the
# pod mounts, from Secret Manager through the CSI driver.
resource "google_secret_manager_secret_version" "redis_ca" {
  secret      = google_secret_manager_secret.redis_ca.id
  secret_data = local.redis_ca_bundle
}

resource "google_secret_manager_secret_iam_member" "workload" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.redis_ca.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${var.workload_service_account_email}"
}
