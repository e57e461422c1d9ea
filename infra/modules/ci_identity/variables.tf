variable "buildkite" {
  description = "Which Buildkite jobs may act as the pusher: organization and pipeline slugs, the branches whose builds may push, and the keys of the steps that push (no other step of those builds, such as the test step running repository code, may)."
  type = object({
    branches     = optional(list(string), ["main"])
    organization = string
    pipeline     = string
    step_keys    = optional(list(string), ["push"])
  })
  nullable = false

  # Slugs go into a CEL expression: restricting their characters keeps the
  # attribute condition exactly what it reads like.
  validation {
    condition     = can(regex("^[a-z0-9][-a-z0-9]*$", var.buildkite.organization)) && can(regex("^[a-z0-9][-a-z0-9]*$", var.buildkite.pipeline))
    error_message = "buildkite.organization and buildkite.pipeline must be Buildkite slugs: lowercase letters, digits and hyphens."
  }

  validation {
    condition     = length(var.buildkite.branches) > 0 && alltrue([for b in var.buildkite.branches : can(regex("^[A-Za-z0-9._/-]+$", b))])
    error_message = "buildkite.branches must list at least one branch name (letters, digits, '.', '_', '/', '-')."
  }

  validation {
    condition     = length(var.buildkite.step_keys) > 0 && alltrue([for k in var.buildkite.step_keys : can(regex("^[A-Za-z0-9_-]+$", k))])
    error_message = "buildkite.step_keys must list at least one step key (letters, digits, '_', '-')."
  }
}

variable "pool" {
  description = "Workload Identity Federation pool and OIDC provider ids, and the token issuer (Buildkite's agent OIDC endpoint)."
  type = object({
    id          = optional(string, "buildkite")
    issuer_uri  = optional(string, "https://agent.buildkite.com")
    provider_id = optional(string, "buildkite-oidc")
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^[a-z0-9-]{4,32}$", var.pool.id)) && can(regex("^[a-z0-9-]{4,32}$", var.pool.provider_id))
    error_message = "pool.id and pool.provider_id must be 4-32 lowercase letters, digits and hyphens."
  }

  validation {
    condition     = startswith(var.pool.issuer_uri, "https://")
    error_message = "pool.issuer_uri must be an https:// URL."
  }
}

variable "project_id" {
  description = "Project of the pool, the service account and the repository."
  type        = string
  nullable    = false
}

variable "repository" {
  description = "The one Artifact Registry repository the pusher may write to."
  type = object({
    location      = string
    repository_id = string
  })
  nullable = false
}

variable "service_account_id" {
  description = "Account id of the CI pusher service account."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.service_account_id))
    error_message = "service_account_id must be 6-30 lowercase letters, digits and hyphens, starting with a letter."
  }
}
