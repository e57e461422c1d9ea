# Offline tests of the registry module: immutable tags and cleanup that never
# touches what production runs.

mock_provider "google" {}

variables {
  project_id    = "example-kv-prod"
  location      = "us-central1"
  repository_id = "kv"
  image_name    = "kv"

  readers = {
    gke-nodes = "serviceAccount:kv-prod-nodes@example-kv-prod.iam.gserviceaccount.com"
  }
}

run "tags_are_immutable" {
  command = plan

  assert {
    condition     = google_artifact_registry_repository.this.format == "DOCKER" && google_artifact_registry_repository.this.docker_config[0].immutable_tags
    error_message = "The Docker repository must have immutable tags."
  }

  assert {
    condition     = output.image_repository == "us-central1-docker.pkg.dev/example-kv-prod/kv/kv"
    error_message = "The image address must be LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE."
  }
}

run "cleanup_deletes_only_old_untagged_versions_and_keeps_recent_ones" {
  command = plan

  assert {
    condition     = google_artifact_registry_repository.this.cleanup_policy_dry_run == true
    error_message = "Cleanup must start in dry-run: untagged per-platform manifests of the multi-arch index prod pins could match it."
  }

  assert {
    condition = alltrue([
      for p in google_artifact_registry_repository.this.cleanup_policies :
      p.action != "DELETE" || try(p.condition[0].tag_state == "UNTAGGED" && p.condition[0].older_than == "2592000s", false)
    ])
    error_message = "A DELETE policy may match only untagged versions older than the configured age."
  }

  assert {
    condition = anytrue([
      for p in google_artifact_registry_repository.this.cleanup_policies :
      p.action == "KEEP" && try(p.most_recent_versions[0].keep_count == 50, false)
    ])
    error_message = "The most recent versions must always be kept."
  }
}

run "readers_can_only_pull" {
  command = plan

  assert {
    condition     = google_artifact_registry_repository_iam_member.readers["gke-nodes"].role == "roles/artifactregistry.reader"
    error_message = "Readers get the reader role only."
  }
}

run "rejects_keeping_too_few_versions" {
  command = plan

  variables {
    cleanup = { keep_recent = 5 }
  }

  expect_failures = [var.cleanup]
}

run "rejects_public_readers" {
  command = plan

  variables {
    readers = { everyone = "allUsers" }
  }

  expect_failures = [var.readers]
}
