# Deploy-time supply-chain control: only images from the allowlisted
# repositories (this platform's Artifact Registry, plus any platform
# components listed by the root) and Google's own system images may start.
# Everything else is denied and written to the audit log.
resource "google_binary_authorization_policy" "this" {
  project                       = var.project_id
  description                   = "Only platform images and Google-maintained system images run on ${var.cluster.name}."
  global_policy_evaluation_mode = "ENABLE"

  dynamic "admission_whitelist_patterns" {
    for_each = var.binary_authorization.allowlist_patterns
    content {
      name_pattern = admission_whitelist_patterns.value
    }
  }

  default_admission_rule {
    evaluation_mode  = "ALWAYS_DENY"
    enforcement_mode = "ENFORCED_BLOCK_AND_AUDIT_LOG"
  }
}
