# Thin wiring of the modules for production. Names come from
# terraform.tfvars; sizing decisions live in the modules' defaults unless a
# capacity variable below overrides them.

module "network" {
  source = "../../modules/network"

  project_id = var.project_id
  region     = var.region
  name       = "kv"

  depends_on = [google_project_service.this]
}

module "gke" {
  source = "../../modules/gke"

  project_id = var.project_id
  region     = var.region
  zones      = var.zones
  labels     = local.labels

  cluster = {
    name                       = var.gke_cluster_name
    master_authorized_networks = var.gke_master_authorized_networks
  }

  network = {
    network_id          = module.network.network_id
    node_tag            = module.network.node_tag
    pods_cidr           = module.network.pods_cidr
    pods_range_name     = module.network.pods_range_name
    services_range_name = module.network.services_range_name
    subnet_id           = module.network.nodes_subnet_id
  }

  node_pool = {
    machine_type       = var.gke_machine_type
    max_nodes_per_zone = var.gke_max_nodes_per_zone
    min_nodes_per_zone = var.gke_min_nodes_per_zone
  }

  workload_identity = {
    google_service_account_id = var.workload_service_account_id
    namespace                 = var.k8s_namespace
    service_account           = var.k8s_service_account
  }

  depends_on = [google_project_service.this]
}

module "redis" {
  source = "../../modules/redis"

  project_id                     = var.project_id
  region                         = var.region
  dns_name                       = var.redis_dns_name
  labels                         = local.labels
  workload_service_account_email = module.gke.workload_service_account_email

  cluster = {
    name          = var.redis_cluster_name
    node_type     = var.redis_node_type
    replica_count = var.redis_replica_count
    shard_count   = var.redis_shard_count
  }

  network = {
    network_id                   = module.network.network_id
    service_connection_policy_id = module.network.redis_service_connection_policy_id
  }

  depends_on = [google_project_service.this]
}

module "registry" {
  source = "../../modules/registry"

  project_id    = var.project_id
  location      = var.region
  repository_id = var.artifact_repository_id
  image_name    = var.image_name
  labels        = local.labels

  readers = {
    gke-nodes = module.gke.node_service_account_member
  }

  depends_on = [google_project_service.this]
}

module "ci_identity" {
  source = "../../modules/ci_identity"

  project_id         = var.project_id
  service_account_id = var.ci_service_account_id

  pool = {
    id          = var.wif_pool_id
    provider_id = var.wif_provider_id
  }

  buildkite = {
    organization = var.buildkite_organization
    pipeline     = var.buildkite_pipeline
  }

  repository = {
    location      = module.registry.repository_location
    repository_id = module.registry.repository_id
  }

  depends_on = [google_project_service.this]
}

module "edge" {
  source = "../../modules/edge"

  project_id = var.project_id
  hostname   = var.hostname
  labels     = local.labels

  names = {
    certificate_map = var.certificate_map_name
    security_policy = var.cloud_armor_policy_name
    ssl_policy      = var.ssl_policy_name
    static_ip       = var.static_ip_name
  }

  depends_on = [google_project_service.this]
}

module "observability" {
  source = "../../modules/observability"

  project_id = var.project_id
  hostname   = var.hostname

  alerting = {
    notification_channels = concat([google_monitoring_notification_channel.oncall.id], var.notification_channels)
  }

  service = {
    kubernetes_service = {
      name      = var.k8s_service_name
      namespace = var.k8s_namespace
      port      = var.k8s_service_port
    }
  }

  watched = {
    redis_cluster_id     = var.redis_cluster_name
    security_policy_name = var.cloud_armor_policy_name
  }

  depends_on = [google_project_service.this]
}

# Every alert reaches the on-call group, whatever else is configured.
resource "google_monitoring_notification_channel" "oncall" {
  project      = var.project_id
  display_name = "kv on-call (${var.oncall_email})"
  type         = "email"
  labels = {
    email_address = var.oncall_email
  }

  depends_on = [google_project_service.this]
}

locals {
  # Built from variables rather than the registry module's output so static
  # analysis (checkov) can follow the gke module's inputs; the root test
  # checks that both spell the same path.
  image_registry_path = "${var.region}-docker.pkg.dev/${var.project_id}/${var.artifact_repository_id}"

  labels = {
    app         = "kv"
    environment = "prod"
  }
}

# GKE node upgrades and Redis maintenance on the same day would stack two
# disruptions of the request path.
check "maintenance_windows_do_not_share_a_day" {
  assert {
    condition     = !contains(split(",", regex("BYDAY=([A-Z,]+)", module.gke.maintenance_recurrence)[0]), substr(module.redis.maintenance_day, 0, 2))
    error_message = "Redis maintenance (${module.redis.maintenance_day}) falls on a day of the GKE maintenance window (${module.gke.maintenance_recurrence})."
  }
}
