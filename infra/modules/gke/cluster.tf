locals {
  # GKE gives each node a pod range of twice max_pods_per_node, rounded up to
  # a power of two; the pods range must hold one per node at full scale,
  # plus one surge node per zone during upgrades.
  pod_block_size = [for size in [16, 32, 64, 128, 256, 512] : size if size >= var.node_pool.max_pods_per_node * 2][0]
  max_nodes      = (var.node_pool.max_nodes_per_zone + var.node_pool.max_surge) * length(var.zones)
  pods_capacity  = pow(2, 32 - tonumber(split("/", var.network.pods_cidr)[1]))
}

# Regional Standard cluster: the control plane is replicated across the
# region's zones and nodes run in every zone of var.zones.
resource "google_container_cluster" "this" {
  #checkov:skip=CKV_GCP_20:Authorized networks filter the IP endpoints, which are off unless networks are given; the DNS endpoint authorizes every request with IAM.
  #checkov:skip=CKV_GCP_65:Google Groups for RBAC needs a Cloud Identity domain; it is switched on by setting cluster.rbac_security_group, which checkov cannot see through the module variable.
  project  = var.project_id
  name     = var.cluster.name
  location = var.region

  # Node pools are managed separately; the default pool is created (with the
  # hardened node_config below, never the default service account) and then
  # removed.
  remove_default_node_pool = true
  initial_node_count       = 1
  node_locations           = var.zones

  deletion_protection = var.cluster.deletion_protection
  resource_labels     = var.labels

  network         = var.network.network_id
  subnetwork      = var.network.subnet_id
  networking_mode = "VPC_NATIVE"
  # Dataplane V2 (eBPF): built-in NetworkPolicy enforcement and policy logging.
  datapath_provider         = "ADVANCED_DATAPATH"
  default_max_pods_per_node = var.node_pool.max_pods_per_node
  # Pod-to-pod traffic on a node goes through the VPC, so flow logs see it.
  enable_intranode_visibility = true

  ip_allocation_policy {
    cluster_secondary_range_name  = var.network.pods_range_name
    services_secondary_range_name = var.network.services_range_name
    stack_type                    = "IPV4"
  }

  # Nodes have internal addresses only. The control plane is reached through
  # its DNS endpoint, where every request is authorized by IAM
  # (container.clusters.connect) from anywhere, so operators and the Argo CD
  # bootstrap need no bastion. The IP endpoints are off unless authorized
  # networks are given, and then open to those networks only.
  private_cluster_config {
    enable_private_nodes = true
  }

  control_plane_endpoints_config {
    dns_endpoint_config {
      allow_external_traffic = true
    }
    ip_endpoints_config {
      enabled = length(var.cluster.master_authorized_networks) > 0
    }
  }

  dynamic "master_authorized_networks_config" {
    for_each = length(var.cluster.master_authorized_networks) > 0 ? [1] : []
    content {
      gcp_public_cidrs_access_enabled = false

      dynamic "cidr_blocks" {
        for_each = var.cluster.master_authorized_networks
        content {
          cidr_block   = cidr_blocks.value.cidr_block
          display_name = cidr_blocks.value.display_name
        }
      }
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  # Dataplane V2 enforces NetworkPolicy itself; the legacy Calico add-on must
  # stay off.
  network_policy {
    enabled  = false
    provider = "PROVIDER_UNSPECIFIED"
  }

  dynamic "authenticator_groups_config" {
    for_each = var.cluster.rbac_security_group == null ? [] : [var.cluster.rbac_security_group]
    content {
      security_group = authenticator_groups_config.value
    }
  }

  enable_legacy_abac    = false
  enable_shielded_nodes = true

  workload_identity_config {
    workload_pool = local.workload_pool
  }

  release_channel {
    channel = var.cluster.release_channel
  }

  # Only images allowed by the project's Binary Authorization policy (made
  # by the root) run.
  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }

  # Configuration auditing of workloads; image vulnerabilities are scanned in
  # Artifact Registry (Artifact Analysis), not by the cluster.
  security_posture_config {
    mode = var.cluster.security_posture_mode
  }

  # The chart's HTTPRoute attaches to the platform Gateway of class
  # gke-l7-global-external-managed.
  gateway_api_config {
    channel = "CHANNEL_STANDARD"
  }

  addons_config {
    http_load_balancing {
      disabled = false
    }
    horizontal_pod_autoscaling {
      disabled = false
    }
    gce_persistent_disk_csi_driver_config {
      enabled = true
    }
    dns_cache_config {
      enabled = true
    }
  }

  # The chart mounts kv-redis-ca and kv-write-tokens through the GKE Secret
  # Manager add-on (SecretProviderClass provider "gke").
  secret_manager_config {
    enabled = true
  }

  vertical_pod_autoscaling {
    enabled = true
  }

  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "WORKLOADS"]
  }

  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS", "DEPLOYMENT", "HPA", "POD", "STATEFULSET"]

    # Google Cloud Managed Service for Prometheus scrapes the service's
    # /metrics through PodMonitoring objects.
    managed_prometheus {
      enabled = true
    }
  }

  cost_management_config {
    enabled = true
  }

  maintenance_policy {
    recurring_window {
      start_time = var.maintenance.start_time
      end_time   = var.maintenance.end_time
      recurrence = var.maintenance.recurrence
    }

    dynamic "maintenance_exclusion" {
      for_each = var.maintenance.exclusions
      content {
        exclusion_name = maintenance_exclusion.value.name
        start_time     = maintenance_exclusion.value.start_time
        end_time       = maintenance_exclusion.value.end_time
        exclusion_options {
          scope = maintenance_exclusion.value.scope
        }
      }
    }
  }

  # Only used by the short-lived default pool, which must not run as the
  # Compute Engine default service account either.
  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    image_type      = "COS_CONTAINERD"
    metadata = {
      disable-legacy-endpoints = "true"
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }

  lifecycle {
    # The default pool is deleted after creation; a drift in its node_config
    # must not force replacing the whole cluster.
    ignore_changes = [node_config]

    precondition {
      condition     = local.pods_capacity >= local.max_nodes * local.pod_block_size
      error_message = "The pods range ${var.network.pods_cidr} holds ${local.pods_capacity} addresses but ${local.max_nodes} nodes (max per zone plus surge, in every zone) need ${local.max_nodes * local.pod_block_size}: widen the range or lower node_pool.max_pods_per_node."
    }
  }

  depends_on = [google_project_iam_member.nodes]
}
