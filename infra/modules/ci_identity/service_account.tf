resource "google_service_account" "pusher" {
  project      = var.project_id
  account_id   = var.service_account_id
  display_name = "CI image pusher"
  description  = "Pushes images from Buildkite (${var.buildkite.organization}/${var.buildkite.pipeline}) to ${var.repository.repository_id}; used through Workload Identity Federation only."
}

# Only identities from the pipeline (already filtered by the provider's
# attribute condition) may impersonate the pusher.
resource "google_service_account_iam_member" "pusher_wif" {
  service_account_id = google_service_account.pusher.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.this.name}/attribute.pipeline_slug/${var.buildkite.pipeline}"
}

# Write access to the one repository, and nothing at project level.
resource "google_artifact_registry_repository_iam_member" "pusher" {
  project    = var.project_id
  location   = var.repository.location
  repository = var.repository.repository_id
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.pusher.member
}
