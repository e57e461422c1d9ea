# Offline tests of the redis module: the SLA-bearing topology, TLS and IAM
# authentication, the private name, and least-privilege access to secrets.

mock_provider "google" {
  mock_resource "google_redis_cluster" {
    defaults = {
      discovery_endpoints = [{ address = "10.10.8.2", port = 6379, psc_config = [] }]
      managed_server_ca = [{
        ca_certs = [{ certificates = ["-----BEGIN CERTIFICATE-----\nMOCK\n-----END CERTIFICATE-----"] }]
      }]
    }
  }
}

variables {
  project_id = "example-kv-prod"
  region     = "us-central1"
  dns_name   = "redis.kv.internal"

  cluster = {
    name = "kv-redis"
  }

  network = {
    network_id                   = "projects/example-kv-prod/global/networks/kv"
    service_connection_policy_id = "projects/example-kv-prod/locations/us-central1/serviceConnectionPolicies/kv-redis-psc"
  }

  workload_service_account_email = "kv-workload@example-kv-prod.iam.gserviceaccount.com"
}

run "cluster_is_multi_zone_with_a_replica_per_shard" {
  command = plan

  assert {
    condition     = google_redis_cluster.this.zone_distribution_config[0].mode == "MULTI_ZONE"
    error_message = "The cluster must be MULTI_ZONE (the 99.99% SLA requires it)."
  }

  assert {
    condition     = google_redis_cluster.this.replica_count >= 1
    error_message = "Every shard must have at least one replica."
  }

  assert {
    condition     = google_redis_cluster.this.deletion_protection_enabled
    error_message = "Deletion protection must be on."
  }

  assert {
    condition     = google_redis_cluster.this.persistence_config[0].mode == "AOF" && google_redis_cluster.this.persistence_config[0].aof_config[0].append_fsync == "EVERYSEC"
    error_message = "Persistence must be AOF with fsync every second."
  }

  assert {
    condition     = google_redis_cluster.this.maintenance_policy[0].weekly_maintenance_window[0].day == "SATURDAY"
    error_message = "Maintenance must happen in the declared window."
  }
}

run "clients_use_tls_and_iam_over_private_service_connect" {
  command = plan

  assert {
    condition     = google_redis_cluster.this.transit_encryption_mode == "TRANSIT_ENCRYPTION_MODE_SERVER_AUTHENTICATION"
    error_message = "In-transit encryption must be on."
  }

  assert {
    condition     = google_redis_cluster.this.authorization_mode == "AUTH_MODE_IAM_AUTH"
    error_message = "Clients must authenticate with IAM."
  }

  assert {
    condition     = google_project_iam_member.workload_redis_connection.role == "roles/redis.dbConnectionUser" && google_project_iam_member.workload_redis_connection.member == "serviceAccount:kv-workload@example-kv-prod.iam.gserviceaccount.com"
    error_message = "The workload gets only the Redis connection role."
  }
}

run "private_name_points_at_the_discovery_endpoint" {
  command = apply

  assert {
    condition     = google_dns_managed_zone.internal.dns_name == "kv.internal." && google_dns_managed_zone.internal.visibility == "private"
    error_message = "The zone kv.internal. must be private."
  }

  assert {
    condition     = google_dns_record_set.redis.name == "redis.kv.internal." && google_dns_record_set.redis.type == "A" && google_dns_record_set.redis.rrdatas == tolist(["10.10.8.2"])
    error_message = "redis.kv.internal must resolve to the discovery endpoint."
  }

  assert {
    condition     = output.redis_url == "rediss://redis.kv.internal:6379" && output.discovery_address == "10.10.8.2"
    error_message = "The workload's REDIS_URL must use TLS and the private name."
  }
}

run "workload_reads_the_ca_secret" {
  command = plan

  assert {
    condition     = google_secret_manager_secret.redis_ca.secret_id == "kv-redis-ca"
    error_message = "The CA secret must be kv-redis-ca."
  }

  assert {
    condition     = google_secret_manager_secret_iam_member.workload.role == "roles/secretmanager.secretAccessor" && google_secret_manager_secret_iam_member.workload.member == "serviceAccount:kv-workload@example-kv-prod.iam.gserviceaccount.com"
    error_message = "The workload must be able to read the CA secret, with the accessor role only."
  }
}

run "rejects_a_cluster_without_replicas" {
  command = plan

  variables {
    cluster = { name = "kv-redis", replica_count = 0 }
  }

  expect_failures = [var.cluster]
}

run "rejects_single_zone" {
  command = plan

  variables {
    cluster = { name = "kv-redis", zone_distribution_mode = "SINGLE_ZONE" }
  }

  expect_failures = [var.cluster]
}

run "rejects_disabled_persistence" {
  command = plan

  variables {
    cluster = { name = "kv-redis", persistence_mode = "DISABLED" }
  }

  expect_failures = [var.cluster]
}

run "rejects_the_nano_type_with_deletion_protection" {
  command = plan

  variables {
    cluster = { name = "kv-redis", node_type = "REDIS_SHARED_CORE_NANO" }
  }

  expect_failures = [var.cluster]
}

run "rejects_a_dns_name_without_a_zone" {
  command = plan

  variables {
    dns_name = "kv.internal"
  }

  expect_failures = [var.dns_name]
}

run "backs_up_daily_outside_the_gke_maintenance_days" {
  command = plan

  assert {
    condition     = google_redis_cluster.this.automated_backup_config[0].retention == "1209600s" && google_redis_cluster.this.automated_backup_config[0].fixed_frequency_schedule[0].start_time[0].hours == 2
    error_message = "Redis must take daily automated backups, kept 14 days (AOF does not undo a bad write)."
  }

  assert {
    condition     = google_redis_cluster.this.maintenance_policy[0].weekly_maintenance_window[0].day == "SATURDAY"
    error_message = "Redis maintenance must default to a day outside GKE's Tuesday-Thursday window."
  }
}
