variable "cluster" {
  description = "Control-plane settings. The control plane is always reachable through its IAM-gated DNS endpoint; master_authorized_networks, when given, also open its IP endpoint to those networks only. release_channel is one of RAPID, REGULAR, STABLE; security_posture_mode one of BASIC, ENTERPRISE; rbac_security_group is the gke-security-groups@DOMAIN group when the organization uses Google Groups for RBAC."
  type = object({
    deletion_protection = optional(bool, true)
    master_authorized_networks = optional(list(object({
      cidr_block   = string
      display_name = string
    })), [])
    name                  = string
    rbac_security_group   = optional(string)
    release_channel       = optional(string, "REGULAR")
    security_posture_mode = optional(string, "BASIC")
  })
  nullable = false

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", var.cluster.name))
    error_message = "cluster.name must be 1-40 lowercase letters, digits and hyphens, starting with a letter."
  }

  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.cluster.release_channel)
    error_message = "cluster.release_channel must be one of RAPID, REGULAR, STABLE (UNSPECIFIED would opt out of managed upgrades)."
  }

  validation {
    condition     = contains(["BASIC", "ENTERPRISE"], var.cluster.security_posture_mode)
    error_message = "cluster.security_posture_mode must be one of BASIC, ENTERPRISE."
  }

  validation {
    condition = alltrue([
      for n in var.cluster.master_authorized_networks : can(cidrhost(n.cidr_block, 0)) && !contains(["0.0.0.0/0", "::/0"], n.cidr_block)
    ])
    error_message = "cluster.master_authorized_networks entries must be valid CIDRs and must not be 0.0.0.0/0: the control plane is never open to the internet."
  }
}

variable "labels" {
  description = "Labels for the cluster, node pool VMs and service accounts' resources."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "maintenance" {
  description = "Maintenance window (RFC 5545 recurrence over a UTC start/end) and exclusions. Exclusion scope as the provider accepts it (NO_UPGRADES, NO_MINOR_UPGRADES, NO_MINOR_OR_NODE_UPGRADES)."
  type = object({
    end_time = optional(string, "2025-01-07T07:00:00Z")
    exclusions = optional(list(object({
      end_time   = string
      name       = string
      scope      = optional(string, "NO_MINOR_UPGRADES")
      start_time = string
    })), [])
    recurrence = optional(string, "FREQ=WEEKLY;BYDAY=TU,WE,TH")
    start_time = optional(string, "2025-01-07T03:00:00Z")
  })
  default  = {}
  nullable = false

  validation {
    condition     = try(timecmp(var.maintenance.start_time, var.maintenance.end_time) < 0, false)
    error_message = "maintenance.start_time must be an RFC 3339 time before maintenance.end_time."
  }

  validation {
    condition     = startswith(var.maintenance.recurrence, "FREQ=")
    error_message = "maintenance.recurrence must be an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=TU,WE,TH."
  }
}

variable "network" {
  description = "Where the cluster lives: outputs of the network module. pods_cidr is used to check that the pod range fits the node pool's maximum."
  type = object({
    network_id          = string
    node_tag            = string
    pods_cidr           = string
    pods_range_name     = string
    services_range_name = string
    subnet_id           = string
  })
  nullable = false
}

variable "node_pool" {
  description = "The workload node pool, spread over every zone. Counts are per zone. disk_type is one of pd-balanced, pd-ssd; upgrade surge uses max_surge/max_unavailable."
  type = object({
    disk_size_gb       = optional(number, 100)
    disk_type          = optional(string, "pd-balanced")
    machine_type       = optional(string, "n2d-standard-4")
    max_nodes_per_zone = optional(number, 4)
    max_pods_per_node  = optional(number, 32)
    max_surge          = optional(number, 1)
    max_unavailable    = optional(number, 0)
    min_nodes_per_zone = optional(number, 1)
    name               = optional(string, "workload")
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.node_pool.min_nodes_per_zone >= 1 && var.node_pool.min_nodes_per_zone <= var.node_pool.max_nodes_per_zone
    error_message = "node_pool.min_nodes_per_zone must be at least 1 (every zone keeps serving capacity) and not above node_pool.max_nodes_per_zone."
  }

  validation {
    condition     = contains(["pd-balanced", "pd-ssd"], var.node_pool.disk_type)
    error_message = "node_pool.disk_type must be one of pd-balanced, pd-ssd."
  }

  validation {
    condition     = var.node_pool.max_surge >= 0 && var.node_pool.max_unavailable >= 0 && var.node_pool.max_surge + var.node_pool.max_unavailable > 0
    error_message = "node_pool.max_surge and max_unavailable must be non-negative and not both 0 (an upgrade could never progress)."
  }

  validation {
    condition     = var.node_pool.max_pods_per_node >= 8 && var.node_pool.max_pods_per_node <= 256
    error_message = "node_pool.max_pods_per_node must be between 8 and 256."
  }

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*-(standard|highmem|highcpu)-[0-9]+$", var.node_pool.machine_type))
    error_message = "node_pool.machine_type must be a standard, highmem or highcpu machine type such as n2d-standard-4 (shared-core types cannot hold the system pods and the workload)."
  }
}

variable "project_id" {
  description = "Project of the cluster."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the regional cluster (control plane replicated across its zones)."
  type        = string
  nullable    = false
}

variable "workload_identity" {
  description = "The Kubernetes service account of the workload and the Google service account it acts as (Workload Identity)."
  type = object({
    google_service_account_id = string
    namespace                 = string
    service_account           = string
  })
  nullable = false

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.workload_identity.google_service_account_id))
    error_message = "workload_identity.google_service_account_id must be 6-30 lowercase letters, digits and hyphens."
  }

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.workload_identity.namespace)) && can(regex("^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$", var.workload_identity.service_account))
    error_message = "workload_identity.namespace and service_account must be valid Kubernetes names (lowercase RFC 1123)."
  }
}

variable "zones" {
  description = "Zones for the nodes: at least three distinct zones of the region, so losing one zone keeps two thirds of capacity."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(distinct(var.zones)) >= 3 && length(distinct(var.zones)) == length(var.zones)
    error_message = "zones must list at least three distinct zones (the 99.99% target assumes nodes survive a zone loss)."
  }

  validation {
    condition     = alltrue([for z in var.zones : startswith(z, "${var.region}-")])
    error_message = "Every zone must belong to var.region (e.g. us-central1-a for us-central1)."
  }
}
