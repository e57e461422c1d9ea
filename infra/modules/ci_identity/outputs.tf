output "attribute_condition" {
  description = "The CEL condition every Buildkite token must satisfy."
  value       = local.attribute_condition
}

output "pool_name" {
  description = "Resource name of the pool (projects/NUMBER/locations/global/workloadIdentityPools/ID)."
  value       = google_iam_workload_identity_pool.this.name
}

output "provider_audience" {
  description = "Audience the pipeline requests its OIDC token for: //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER."
  value       = "//iam.googleapis.com/${google_iam_workload_identity_pool_provider.this.name}"
}

output "provider_name" {
  description = "Resource name of the OIDC provider (projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER)."
  value       = google_iam_workload_identity_pool_provider.this.name
}

output "service_account_email" {
  description = "Email of the CI pusher service account."
  value       = google_service_account.pusher.email
}

output "step_keys" {
  description = "Keys of the pipeline steps whose tokens the provider accepts (the pipeline must have steps with these keys)."
  value       = var.buildkite.step_keys
}
