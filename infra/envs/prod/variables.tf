# Names, and the capacity knobs the performance work tunes. Other areas get
# them from the `platform` output (platform.tf), never from terraform.tfvars.

variable "artifact_repository_id" {
  description = "Artifact Registry repository id."
  type        = string
}

variable "binary_authorization_allowed_images" {
  description = "Image patterns besides this platform's repository that may run on the cluster (e.g. the Argo CD images, when Argo CD runs in it). Everything else is denied by Binary Authorization."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.binary_authorization_allowed_images : !contains(["*", "**"], p)])
    error_message = "binary_authorization_allowed_images must not hold a bare * or ** (that would allow every image)."
  }
}

variable "buildkite_organization" {
  description = "Buildkite organization slug allowed to push images."
  type        = string
}

variable "buildkite_pipeline" {
  description = "Buildkite pipeline slug allowed to push images."
  type        = string
}

variable "certificate_map_name" {
  description = "Certificate Manager map the Gateway uses."
  type        = string
}

variable "ci_service_account_id" {
  description = "Account id of the CI pusher service account."
  type        = string
}

variable "cloud_armor_policy_name" {
  description = "Cloud Armor policy attached to the kv backend."
  type        = string
}

variable "enforce_org_policies" {
  description = "Enforce iam.disableServiceAccountKeyCreation on the project (needs roles/orgpolicy.policyAdmin; turn off only where the organization already enforces it)."
  type        = bool
  default     = true
}

variable "gke_cluster_name" {
  description = "Name of the GKE cluster."
  type        = string
}

variable "gke_machine_type" {
  description = "Machine type of the workload node pool."
  type        = string
}

variable "gke_master_authorized_networks" {
  description = "CIDRs allowed to reach the cluster's control plane endpoint (operators, CI egress)."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  default = []
}

variable "gke_max_nodes_per_zone" {
  description = "Autoscaler maximum of the workload pool, per zone."
  type        = number
}

variable "gke_min_nodes_per_zone" {
  description = "Autoscaler minimum of the workload pool, per zone (at least 1: every zone serves)."
  type        = number
}

variable "hostname" {
  description = "Public host name of the service."
  type        = string
}

variable "image_name" {
  description = "Image name inside the repository."
  type        = string
}

variable "k8s_namespace" {
  description = "Kubernetes namespace of the workload."
  type        = string
}

variable "k8s_service_account" {
  description = "Kubernetes service account of the workload."
  type        = string
}

variable "k8s_service_name" {
  description = "Name of the chart's Service behind the Gateway (GKE names the backend service after it)."
  type        = string
}

variable "k8s_service_port" {
  description = "Port of the chart's Service behind the Gateway (the Service port, not the container port: GKE names the backend service after it)."
  type        = number
}

variable "notification_channels" {
  description = "Further Cloud Monitoring notification channel ids for every alert (pagers, chat; created outside Terraform: they hold contact details), besides the on-call e-mail."
  type        = list(string)
  default     = []
}

variable "oncall_email" {
  description = "The on-call team's e-mail group: every alert reaches it (a notification channel made here)."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", var.oncall_email))
    error_message = "oncall_email must be an e-mail address."
  }
}

variable "project_id" {
  description = "Production project id."
  type        = string
}

variable "project_number" {
  description = "Production project number (the Workload Identity Federation audience names the project by number; `gcloud projects describe PROJECT_ID --format='value(projectNumber)'`)."
  type        = string

  validation {
    condition     = can(regex("^[1-9][0-9]{5,18}$", var.project_number))
    error_message = "project_number must be the project's number (digits only), not its id."
  }
}

variable "redis_cluster_name" {
  description = "Name of the Memorystore for Redis Cluster."
  type        = string
}

variable "redis_dns_name" {
  description = "Private DNS name of the Redis discovery endpoint (without trailing dot)."
  type        = string
}

variable "redis_node_type" {
  description = "Memorystore node type."
  type        = string
}

variable "redis_replica_count" {
  description = "Replicas per shard (at least 1 for the 99.99% SLA)."
  type        = number
}

variable "redis_shard_count" {
  description = "Number of shards."
  type        = number
}

variable "region" {
  description = "Region of everything regional."
  type        = string
}

variable "ssl_policy_name" {
  description = "SSL policy of the Gateway."
  type        = string
}

variable "static_ip_name" {
  description = "Reserved global address of the Gateway."
  type        = string
}

variable "wif_pool_id" {
  description = "Workload Identity Federation pool id for Buildkite."
  type        = string
}

variable "wif_provider_id" {
  description = "Workload Identity Federation OIDC provider id for Buildkite."
  type        = string
}

variable "workload_service_account_id" {
  description = "Account id of the workload's Google service account."
  type        = string
}

variable "write_tokens_secret_id" {
  description = "Secret Manager secret holding the app's write bearer tokens (KV_AUTH_TOKENS_FILE; versions added out of band)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.write_tokens_secret_id))
    error_message = "write_tokens_secret_id must be a Secret Manager id: letters, digits, underscores and hyphens."
  }
}

variable "zones" {
  description = "Zones of the node pool."
  type        = list(string)
}
