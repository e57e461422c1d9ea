variable "cluster" {
  description = "Memorystore for Redis Cluster (node_type, rdb_snapshot_period and maintenance_day as the provider accepts them). persistence_mode is AOF or RDB. maintenance_day/start_hour (UTC) must not fall on a day of the GKE maintenance window (the root checks). Automated backups run daily at backup_start_hour (UTC) and are kept backup_retention_days."
  type = object({
    backup_retention_days  = optional(number, 14)
    backup_start_hour      = optional(number, 2)
    deletion_protection    = optional(bool, true)
    maintenance_day        = optional(string, "SATURDAY")
    maintenance_start_hour = optional(number, 4)
    name                   = string
    node_type              = optional(string, "REDIS_HIGHMEM_MEDIUM")
    persistence_mode       = optional(string, "AOF")
    rdb_snapshot_period    = optional(string, "ONE_HOUR")
    redis_configs          = optional(map(string), { "maxmemory-policy" = "noeviction" })
    replica_count          = optional(number, 1)
    shard_count            = optional(number, 3)
    zone_distribution_mode = optional(string, "MULTI_ZONE")
  })
  nullable = false

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.cluster.name))
    error_message = "cluster.name must be lowercase letters, digits and hyphens, starting with a letter."
  }

  validation {
    condition     = var.cluster.replica_count >= 1 && var.cluster.replica_count <= 2
    error_message = "cluster.replica_count must be 1 or 2: the 99.99% SLA needs at least one replica per shard (0 is not allowed here)."
  }

  validation {
    condition     = var.cluster.shard_count >= 1 && var.cluster.shard_count <= 250 && floor(var.cluster.shard_count) == var.cluster.shard_count
    error_message = "cluster.shard_count must be a whole number between 1 and 250."
  }

  validation {
    condition     = var.cluster.zone_distribution_mode == "MULTI_ZONE"
    error_message = "cluster.zone_distribution_mode must be MULTI_ZONE (SINGLE_ZONE has no 99.99% SLA)."
  }

  validation {
    condition     = contains(["AOF", "RDB"], var.cluster.persistence_mode)
    error_message = "cluster.persistence_mode must be one of AOF, RDB (DISABLED would lose every key on a full restart)."
  }

  validation {
    condition     = var.cluster.maintenance_start_hour >= 0 && var.cluster.maintenance_start_hour <= 23 && floor(var.cluster.maintenance_start_hour) == var.cluster.maintenance_start_hour
    error_message = "cluster.maintenance_start_hour must be a whole hour from 0 to 23 (UTC)."
  }

  validation {
    condition     = var.cluster.backup_start_hour >= 0 && var.cluster.backup_start_hour <= 23 && floor(var.cluster.backup_start_hour) == var.cluster.backup_start_hour && var.cluster.backup_retention_days >= 1 && var.cluster.backup_retention_days <= 365
    error_message = "cluster.backup_start_hour must be a whole hour from 0 to 23 (UTC) and cluster.backup_retention_days from 1 to 365."
  }

  # The nano type is for development: it has no SLA.
  validation {
    condition     = !(var.cluster.node_type == "REDIS_SHARED_CORE_NANO" && var.cluster.deletion_protection)
    error_message = "cluster.node_type REDIS_SHARED_CORE_NANO is for throwaway environments: it requires deletion_protection = false and cannot back the production SLO."
  }
}

variable "dns_name" {
  description = "Name the workload uses for the cluster's discovery endpoint, e.g. redis.kv.internal. The private zone is the part after the first label (kv.internal.)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9-]+(\\.[a-z0-9-]+){2,}$", var.dns_name))
    error_message = "dns_name must be a hostname with at least three labels and no trailing dot, such as redis.kv.internal."
  }
}

variable "labels" {
  description = "Labels for the DNS zone and the secrets."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "network" {
  description = "VPC of the cluster's Private Service Connect endpoints, and the network's service connection policy for Memorystore (network module), which must exist before the cluster."
  type = object({
    network_id                   = string
    service_connection_policy_id = string
  })
  nullable = false

  validation {
    condition     = length(var.network.service_connection_policy_id) > 0
    error_message = "network.service_connection_policy_id must name the network's service connection policy for gcp-memorystore-redis."
  }
}

variable "project_id" {
  description = "Project of the cluster, zone and secrets."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the cluster."
  type        = string
  nullable    = false
}

variable "secrets" {
  description = "Secret Manager secret id of the Redis server CA bundle (written by this module)."
  type = object({
    ca_secret_id = optional(string, "kv-redis-ca")
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for id in values(var.secrets) : can(regex("^[A-Za-z0-9_-]{1,255}$", id))])
    error_message = "secrets.* must be Secret Manager ids: letters, digits, underscores and hyphens."
  }
}

variable "workload_service_account_email" {
  description = "The workload's Google service account: gets the Redis connection role and read access to the CA secret, nothing else."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]@[-a-z0-9]+\\.iam\\.gserviceaccount\\.com$", var.workload_service_account_email))
    error_message = "workload_service_account_email must be a user-managed service account email (NAME@PROJECT.iam.gserviceaccount.com)."
  }
}
