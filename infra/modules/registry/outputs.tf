output "image_repository" {
  description = "Full image address without tag or digest (LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE)."
  value       = "${var.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.this.repository_id}/${var.image_name}"
}

output "repository_id" {
  description = "Repository id."
  value       = google_artifact_registry_repository.this.repository_id
}

output "repository_location" {
  description = "Repository location."
  value       = google_artifact_registry_repository.this.location
}

output "repository_name" {
  description = "Repository resource name (for IAM bindings elsewhere)."
  value       = google_artifact_registry_repository.this.name
}

output "repository_path" {
  description = "Registry path of the repository (LOCATION-docker.pkg.dev/PROJECT/REPOSITORY), e.g. for the images Binary Authorization admits."
  value       = "${var.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.this.repository_id}"
}
