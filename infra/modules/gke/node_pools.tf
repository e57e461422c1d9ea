# The workload pool: autoscaled in every zone (BALANCED keeps zones even),
# surge upgrades that never remove capacity first, and hardened nodes.
resource "google_container_node_pool" "workload" {
  project        = var.project_id
  name           = var.node_pool.name
  cluster        = google_container_cluster.this.id
  location       = var.region
  node_locations = var.zones

  max_pods_per_node = var.node_pool.max_pods_per_node
  # Per zone. Without it the pool is created empty and the workload has no
  # node until the autoscaler reacts to pending pods.
  initial_node_count = var.node_pool.min_nodes_per_zone

  autoscaling {
    min_node_count  = var.node_pool.min_nodes_per_zone
    max_node_count  = var.node_pool.max_nodes_per_zone
    location_policy = "BALANCED"
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    strategy        = "SURGE"
    max_surge       = var.node_pool.max_surge
    max_unavailable = var.node_pool.max_unavailable
  }

  node_config {
    machine_type    = var.node_pool.machine_type
    image_type      = "COS_CONTAINERD"
    disk_type       = var.node_pool.disk_type
    disk_size_gb    = var.node_pool.disk_size_gb
    service_account = google_service_account.nodes.email
    # Access is governed by IAM on the node service account, not scopes.
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    tags            = [var.network.node_tag]
    resource_labels = var.labels
    labels = {
      "kv.example.com/pool" = var.node_pool.name
    }
    metadata = {
      disable-legacy-endpoints = "true"
    }

    # Pods see the GKE metadata server (Workload Identity), never the node's
    # own credentials.
    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }
}
