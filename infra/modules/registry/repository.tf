resource "google_artifact_registry_repository" "this" {
  #checkov:skip=CKV_GCP_84:Google-managed encryption is enough for public-source container images; a CMEK key would add a key ring to operate without a threat it addresses.
  project       = var.project_id
  location      = var.location
  repository_id = var.repository_id
  format        = "DOCKER"
  mode          = "STANDARD_REPOSITORY"
  description   = "Images of the kv service. Tags are immutable; deployments pin digests."
  labels        = var.labels

  # A tag, once pushed, always names the same digest.
  docker_config {
    immutable_tags = true
  }

  cleanup_policy_dry_run = var.cleanup.dry_run

  # KEEP wins over DELETE: the newest versions survive whatever their tags.
  cleanup_policies {
    id     = "keep-most-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = var.cleanup.keep_recent
    }
  }

  # Only untagged versions are ever deleted. Every image CI pushes is tagged
  # with its commit, and production runs a pushed digest, so what runs (and
  # anything a revert could bring back) is never matched here.
  cleanup_policies {
    id     = "delete-old-untagged"
    action = "DELETE"
    condition {
      tag_state  = "UNTAGGED"
      older_than = "${var.cleanup.untagged_max_age_days * 86400}s"
    }
  }
}

resource "google_artifact_registry_repository_iam_member" "readers" {
  for_each = var.readers

  project    = google_artifact_registry_repository.this.project
  location   = google_artifact_registry_repository.this.location
  repository = google_artifact_registry_repository.this.name
  role       = "roles/artifactregistry.reader"
  member     = each.value
}
