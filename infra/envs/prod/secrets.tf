# Bearer tokens for the app's writes. They belong to the app, not to Redis,
# so the root holds the secret. Terraform creates only the container:
# versions are added out of band (gcloud secrets versions add), so no token
# ever appears in code or state.
resource "google_secret_manager_secret" "write_tokens" {
  project   = var.project_id
  secret_id = var.write_tokens_secret_id
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.this]
}

resource "google_secret_manager_secret_iam_member" "workload_write_tokens" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.write_tokens.id
  role      = "roles/secretmanager.secretAccessor"
  member    = module.gke.workload_service_account_member
}
