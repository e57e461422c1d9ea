variable "cleanup" {
  description = "Cleanup policies. Only untagged versions older than untagged_max_age_days are deleted, and the keep_recent newest versions are always kept; tagged versions (every pushed image carries its commit tag) are never deleted. dry_run (the default) only logs what would be deleted: the per-platform manifests of a multi-arch index are untagged versions, so check the logged deletions spare the index prod pins before setting it to false."
  type = object({
    dry_run               = optional(bool, true)
    keep_recent           = optional(number, 50)
    untagged_max_age_days = optional(number, 30)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.cleanup.keep_recent >= 10 && floor(var.cleanup.keep_recent) == var.cleanup.keep_recent
    error_message = "cleanup.keep_recent must be a whole number of at least 10 (rollback needs recent versions)."
  }

  validation {
    condition     = var.cleanup.untagged_max_age_days >= 7 && floor(var.cleanup.untagged_max_age_days) == var.cleanup.untagged_max_age_days
    error_message = "cleanup.untagged_max_age_days must be a whole number of at least 7."
  }
}

variable "image_name" {
  description = "Image name inside the repository (the full address is an output)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9]+([._-][a-z0-9]+)*$", var.image_name))
    error_message = "image_name must be a lowercase image name such as kv."
  }
}

variable "labels" {
  description = "Labels for the repository."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "location" {
  description = "Region of the repository (same as the cluster, so pulls stay in-region)."
  type        = string
  nullable    = false
}

variable "project_id" {
  description = "Project of the repository."
  type        = string
  nullable    = false
}

variable "readers" {
  description = "IAM members that may pull (the GKE nodes' service account). Keyed by a stable name."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for m in values(var.readers) : can(regex("^(serviceAccount|group|user):", m))])
    error_message = "readers values must be IAM members such as serviceAccount:NAME@PROJECT.iam.gserviceaccount.com (no allUsers/allAuthenticatedUsers)."
  }
}

variable "repository_id" {
  description = "Repository id."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.repository_id))
    error_message = "repository_id must be lowercase letters, digits and hyphens, starting with a letter."
  }
}
