# Buildkite agents present their job's OIDC token; Google's STS exchanges it
# for a short-lived token of the pusher service account. No key is created.
resource "google_iam_workload_identity_pool" "this" {
  project                   = var.project_id
  workload_identity_pool_id = var.pool.id
  display_name              = "Buildkite"
  description               = "Buildkite agents of ${var.buildkite.organization}, pipeline ${var.buildkite.pipeline}."
}

resource "google_iam_workload_identity_pool_provider" "this" {
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.this.workload_identity_pool_id
  workload_identity_pool_provider_id = var.pool.provider_id
  display_name                       = "Buildkite OIDC"
  description                        = "Jobs of ${var.buildkite.organization}/${var.buildkite.pipeline} on ${join(", ", var.buildkite.branches)}."

  # google.subject is at most 127 bytes, and Buildkite's sub
  # (organization:..:pipeline:..:ref:..:commit:..:step:..) outgrows it with
  # longer slugs or branch names, failing every exchange. The job id is
  # fixed-length (a UUID) and names exactly one job in audit logs.
  attribute_mapping = {
    "google.subject"              = "'buildkite-job:' + assertion.job_id"
    "attribute.organization_slug" = "assertion.organization_slug"
    "attribute.pipeline_slug"     = "assertion.pipeline_slug"
    "attribute.build_branch"      = "assertion.build_branch"
    "attribute.step_key"          = "assertion.step_key"
  }

  # Tokens from any other organization, pipeline or branch are rejected at
  # the exchange, before any IAM binding is consulted.
  attribute_condition = local.attribute_condition

  # Allowed audience defaults to this provider's full resource name, which is
  # what the pipeline requests (`buildkite-agent oidc request-token
  # --audience <wif_provider_name>`).
  oidc {
    issuer_uri = var.pool.issuer_uri
  }
}

locals {
  attribute_condition = join(" && ", [
    "assertion.organization_slug == '${var.buildkite.organization}'",
    "assertion.pipeline_slug == '${var.buildkite.pipeline}'",
    "assertion.build_branch in [${join(", ", [for b in var.buildkite.branches : "'${b}'"])}]",
    "assertion.step_key in [${join(", ", [for k in var.buildkite.step_keys : "'${k}'"])}]",
  ])
}
