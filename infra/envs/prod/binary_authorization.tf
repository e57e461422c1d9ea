# Deploy-time supply-chain control for the whole project (one policy per
# project, so it lives in the root, not in the cluster module): only images
# from this platform's Artifact Registry repository, the patterns listed in
# terraform.tfvars, and Google's own system images may start on any cluster
# of the project. Everything else is denied and written to the audit log.
resource "google_binary_authorization_policy" "this" {
  project                       = var.project_id
  description                   = "Only platform images and Google-maintained system images run in ${var.project_id}."
  global_policy_evaluation_mode = "ENABLE"

  dynamic "admission_whitelist_patterns" {
    for_each = concat(["${local.image_registry_path}/*"], var.binary_authorization_allowed_images)
    content {
      name_pattern = admission_whitelist_patterns.value
    }
  }

  default_admission_rule {
    evaluation_mode  = "ALWAYS_DENY"
    enforcement_mode = "ENFORCED_BLOCK_AND_AUDIT_LOG"
  }

  depends_on = [google_project_service.this]
}
