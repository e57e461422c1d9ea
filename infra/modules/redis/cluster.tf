# Memorystore for Redis Cluster: the only managed Redis with a 99.99% SLA,
# which requires MULTI_ZONE with at least one replica per shard.
resource "google_redis_cluster" "this" {
  project       = var.project_id
  name          = var.cluster.name
  region        = var.region
  shard_count   = var.cluster.shard_count
  replica_count = var.cluster.replica_count
  node_type     = var.cluster.node_type

  # Clients authenticate with short-lived IAM tokens (no static password)
  # over TLS verified against the cluster's managed CA.
  authorization_mode      = "AUTH_MODE_IAM_AUTH"
  transit_encryption_mode = "TRANSIT_ENCRYPTION_MODE_SERVER_AUTHENTICATION"

  deletion_protection_enabled = var.cluster.deletion_protection
  redis_configs               = var.cluster.redis_configs

  psc_configs {
    network = var.network.network_id
  }

  zone_distribution_config {
    mode = var.cluster.zone_distribution_mode
  }

  persistence_config {
    mode = var.cluster.persistence_mode

    dynamic "aof_config" {
      for_each = var.cluster.persistence_mode == "AOF" ? [1] : []
      content {
        # At most one second of acknowledged writes at risk on a node loss.
        append_fsync = "EVERYSEC"
      }
    }

    dynamic "rdb_config" {
      for_each = var.cluster.persistence_mode == "RDB" ? [1] : []
      content {
        rdb_snapshot_period = var.cluster.rdb_snapshot_period
      }
    }
  }

  # Daily backups: AOF protects against node loss, not against a bad write
  # or a FLUSHALL, which replicate at once.
  automated_backup_config {
    retention = "${var.cluster.backup_retention_days * 86400}s"
    fixed_frequency_schedule {
      start_time {
        hours = var.cluster.backup_start_hour
      }
    }
  }

  maintenance_policy {
    weekly_maintenance_window {
      day = var.cluster.maintenance_day
      start_time {
        hours   = var.cluster.maintenance_start_hour
        minutes = 0
        seconds = 0
        nanos   = 0
      }
    }
  }

  lifecycle {
    # Referencing the policy orders the cluster after it: without the
    # policy the cluster gets no PSC endpoints.
    precondition {
      condition     = startswith(var.network.service_connection_policy_id, "projects/")
      error_message = "network.service_connection_policy_id must be the policy's resource id (projects/P/locations/R/serviceConnectionPolicies/N)."
    }
  }
}
