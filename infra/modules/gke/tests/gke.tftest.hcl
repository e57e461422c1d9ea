# Offline tests of the gke module: the properties the 99.99% target and the
# security model rest on, and the input validations.

mock_provider "google" {
  # Provider-side validation runs on mocked values in apply runs: service
  # account names and emails must look real.
  mock_resource "google_service_account" {
    defaults = {
      name   = "projects/example-kv-prod/serviceAccounts/kv-workload@example-kv-prod.iam.gserviceaccount.com"
      email  = "kv-workload@example-kv-prod.iam.gserviceaccount.com"
      member = "serviceAccount:kv-workload@example-kv-prod.iam.gserviceaccount.com"
    }
  }
}

variables {
  project_id = "example-kv-prod"
  region     = "us-central1"
  zones      = ["us-central1-a", "us-central1-b", "us-central1-c"]

  cluster = {
    name = "kv-prod"
    master_authorized_networks = [
      { cidr_block = "203.0.113.0/24", display_name = "operators" },
    ]
  }

  network = {
    network_id          = "projects/example-kv-prod/global/networks/kv"
    node_tag            = "kv-gke-node"
    pods_cidr           = "10.16.0.0/16"
    pods_range_name     = "kv-pods"
    services_range_name = "kv-services"
    subnet_id           = "projects/example-kv-prod/regions/us-central1/subnetworks/kv-nodes"
  }

  workload_identity = {
    google_service_account_id = "kv-workload"
    namespace                 = "kv"
    service_account           = "kv"
  }
}

run "cluster_is_regional_private_and_protected" {
  command = plan

  assert {
    condition     = google_container_cluster.this.location == "us-central1"
    error_message = "The cluster must be regional (location is a region, not a zone)."
  }

  assert {
    condition     = google_container_cluster.this.private_cluster_config[0].enable_private_nodes
    error_message = "Nodes must be private (no external addresses)."
  }

  assert {
    condition     = google_container_cluster.this.deletion_protection
    error_message = "Deletion protection must be on."
  }

  assert {
    condition     = google_container_cluster.this.remove_default_node_pool
    error_message = "The default node pool must be removed."
  }

  assert {
    condition     = [for b in google_container_cluster.this.master_authorized_networks_config[0].cidr_blocks : b.cidr_block] == ["203.0.113.0/24"] && google_container_cluster.this.master_authorized_networks_config[0].gcp_public_cidrs_access_enabled == false
    error_message = "The control plane must be reachable only from the authorized networks."
  }

  assert {
    condition     = google_container_cluster.this.control_plane_endpoints_config[0].ip_endpoints_config[0].enabled
    error_message = "Authorized networks given: the IP endpoint is on for them."
  }
}

run "control_plane_is_reached_through_the_iam_gated_dns_endpoint" {
  command = plan

  variables {
    cluster = { name = "kv-prod" }
  }

  assert {
    condition     = google_container_cluster.this.control_plane_endpoints_config[0].dns_endpoint_config[0].allow_external_traffic
    error_message = "The control plane must be reachable through its DNS endpoint (IAM-authorized), or no operator and no Argo CD bootstrap can reach it."
  }

  assert {
    condition     = google_container_cluster.this.control_plane_endpoints_config[0].ip_endpoints_config[0].enabled == false && length(google_container_cluster.this.master_authorized_networks_config) == 0
    error_message = "Without authorized networks the IP endpoints must be off."
  }
}

run "node_pool_starts_with_its_minimum_in_every_zone" {
  command = plan

  assert {
    condition     = google_container_node_pool.workload.initial_node_count == 1
    error_message = "The node pool must be created with min_nodes_per_zone nodes per zone, not empty."
  }
}

run "long_cluster_name_gets_a_valid_node_service_account_id" {
  command = plan

  variables {
    cluster = { name = "kv-production-us-central1-blue" }
  }

  assert {
    condition     = length(google_service_account.nodes.account_id) <= 30 && endswith(google_service_account.nodes.account_id, "-nodes")
    error_message = "The node service account id must stay within 30 characters for any cluster name."
  }
}

run "cluster_has_the_platform_features_the_chart_relies_on" {
  command = plan

  assert {
    condition     = google_container_cluster.this.workload_identity_config[0].workload_pool == "example-kv-prod.svc.id.goog"
    error_message = "Workload Identity must be enabled."
  }

  assert {
    condition     = google_container_cluster.this.datapath_provider == "ADVANCED_DATAPATH"
    error_message = "Dataplane V2 must be enabled (it enforces the chart's NetworkPolicy)."
  }

  assert {
    condition     = google_container_cluster.this.gateway_api_config[0].channel == "CHANNEL_STANDARD"
    error_message = "The Gateway API must be enabled."
  }

  assert {
    condition     = google_container_cluster.this.monitoring_config[0].managed_prometheus[0].enabled
    error_message = "Managed Prometheus must be enabled (the chart's PodMonitoring)."
  }

  assert {
    condition     = google_container_cluster.this.secret_manager_config[0].enabled
    error_message = "The Secret Manager add-on must be enabled (the chart's SecretProviderClass)."
  }

  assert {
    condition     = google_container_cluster.this.release_channel[0].channel == "REGULAR"
    error_message = "The cluster must follow a release channel."
  }

  assert {
    condition     = google_container_cluster.this.maintenance_policy[0].recurring_window[0].recurrence == "FREQ=WEEKLY;BYDAY=TU,WE,TH"
    error_message = "Upgrades must be confined to the maintenance window."
  }
}

run "cluster_enforces_supply_chain_and_node_integrity" {
  command = plan

  assert {
    condition     = google_container_cluster.this.binary_authorization[0].evaluation_mode == "PROJECT_SINGLETON_POLICY_ENFORCE"
    error_message = "Binary Authorization must be enforced."
  }

  assert {
    condition     = google_container_cluster.this.security_posture_config[0].mode == "BASIC"
    error_message = "Security posture must be on."
  }

  assert {
    condition     = google_container_cluster.this.enable_shielded_nodes
    error_message = "Shielded nodes must be on."
  }
}

run "node_pool_spans_three_zones_and_upgrades_without_losing_capacity" {
  command = plan

  assert {
    condition     = length(google_container_node_pool.workload.node_locations) == 3
    error_message = "The node pool must run in three zones."
  }

  assert {
    condition     = google_container_node_pool.workload.autoscaling[0].min_node_count >= 1 && google_container_node_pool.workload.autoscaling[0].location_policy == "BALANCED"
    error_message = "Every zone must keep at least one node and the autoscaler must balance zones."
  }

  assert {
    condition     = google_container_node_pool.workload.upgrade_settings[0].strategy == "SURGE" && google_container_node_pool.workload.upgrade_settings[0].max_unavailable == 0
    error_message = "Upgrades must surge new nodes before removing old ones."
  }

  assert {
    condition     = google_container_node_pool.workload.management[0].auto_repair && google_container_node_pool.workload.management[0].auto_upgrade
    error_message = "Auto-repair and auto-upgrade must be on."
  }
}

run "nodes_are_hardened_and_never_use_the_default_service_account" {
  command = apply

  assert {
    condition     = google_container_node_pool.workload.node_config[0].service_account == google_service_account.nodes.email && google_container_cluster.this.node_config[0].service_account == google_service_account.nodes.email
    error_message = "Both the default pool and the workload pool must run as the dedicated node service account."
  }

  assert {
    condition     = google_project_iam_member.nodes.role == "roles/container.defaultNodeServiceAccount"
    error_message = "The node service account gets only the node role."
  }

  assert {
    condition     = google_container_node_pool.workload.node_config[0].workload_metadata_config[0].mode == "GKE_METADATA"
    error_message = "Pods must see the GKE metadata server, not the node's credentials."
  }

  assert {
    condition     = google_container_node_pool.workload.node_config[0].shielded_instance_config[0].enable_secure_boot && google_container_node_pool.workload.node_config[0].shielded_instance_config[0].enable_integrity_monitoring
    error_message = "Nodes must use secure boot and integrity monitoring."
  }

  assert {
    condition     = google_container_node_pool.workload.node_config[0].metadata["disable-legacy-endpoints"] == "true"
    error_message = "Legacy metadata endpoints must be disabled."
  }
}

run "workload_identity_binds_only_the_workload_service_account" {
  command = plan

  assert {
    condition     = google_service_account_iam_member.workload_identity_user.member == "serviceAccount:example-kv-prod.svc.id.goog[kv/kv]"
    error_message = "Only the KSA kv/kv may act as the workload's Google service account."
  }

  assert {
    condition     = google_service_account.workload.account_id == "kv-workload"
    error_message = "The workload's Google service account must be kv-workload."
  }
}

run "rejects_fewer_than_three_zones" {
  command = plan

  variables {
    zones = ["us-central1-a", "us-central1-b"]
  }

  expect_failures = [var.zones]
}

run "rejects_a_zone_outside_the_region" {
  command = plan

  variables {
    zones = ["us-central1-a", "us-central1-b", "us-east1-b"]
  }

  expect_failures = [var.zones]
}

run "rejects_an_empty_zone" {
  command = plan

  variables {
    node_pool = { min_nodes_per_zone = 0 }
  }

  expect_failures = [var.node_pool]
}

run "rejects_a_control_plane_open_to_the_internet" {
  command = plan

  variables {
    cluster = {
      name                       = "kv-prod"
      master_authorized_networks = [{ cidr_block = "0.0.0.0/0", display_name = "anyone" }]
    }
  }

  expect_failures = [var.cluster]
}

run "rejects_an_unknown_release_channel" {
  command = plan

  variables {
    cluster = { name = "kv-prod", release_channel = "UNSPECIFIED" }
  }

  expect_failures = [var.cluster]
}

run "rejects_a_shared_core_machine_type" {
  command = plan

  variables {
    node_pool = { machine_type = "e2-small" }
  }

  expect_failures = [var.node_pool]
}

run "rejects_a_pods_range_too_small_for_the_node_maximum" {
  command = plan

  variables {
    network = {
      network_id          = "projects/example-kv-prod/global/networks/kv"
      node_tag            = "kv-gke-node"
      pods_cidr           = "10.16.0.0/23"
      pods_range_name     = "kv-pods"
      services_range_name = "kv-services"
      subnet_id           = "projects/example-kv-prod/regions/us-central1/subnetworks/kv-nodes"
    }
  }

  expect_failures = [google_container_cluster.this]
}
