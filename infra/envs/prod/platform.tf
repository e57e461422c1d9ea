# Every name and number another part of the repository needs: tools/generate
# evaluates this object (terraform console, no state) and writes the chart's
# prod values, the platform Gateway, the Bazel image repository and the
# pipeline's identity from it. So it is built only from inputs and module
# values known before any apply.
locals {
  platform = {
    image_repository = "${local.image_registry_path}/${var.image_name}"
    project_id       = var.project_id
    region           = var.region

    capacity = {
      machine_type        = var.gke_machine_type
      max_nodes_per_zone  = var.gke_max_nodes_per_zone
      min_nodes_per_zone  = var.gke_min_nodes_per_zone
      redis_node_type     = var.redis_node_type
      redis_replica_count = var.redis_replica_count
      redis_shard_count   = var.redis_shard_count
      zones               = length(var.zones)
    }

    ci = {
      service_account_email = "${var.ci_service_account_id}@${var.project_id}.iam.gserviceaccount.com"
      step_keys             = module.ci_identity.step_keys
      # The provider's full name, its default allowed audience.
      wif_audience = "//iam.googleapis.com/projects/${var.project_number}/locations/global/workloadIdentityPools/${var.wif_pool_id}/providers/${var.wif_provider_id}"
    }

    edge = {
      certificate_map = var.certificate_map_name
      hostname        = var.hostname
      security_policy = var.cloud_armor_policy_name
      ssl_policy      = var.ssl_policy_name
      static_ip       = var.static_ip_name
    }

    kubernetes = {
      # NodeLocal DNSCache's link-local address and the kube-dns Service
      # (the 10th address of the Services range).
      dns_cidrs            = ["169.254.20.10/32", "${cidrhost(module.network.services_cidr, 10)}/32"]
      load_balancer_ranges = module.network.load_balancer_ranges
      namespace            = var.k8s_namespace
      service_account      = var.k8s_service_account
      service_name         = var.k8s_service_name
      service_port         = var.k8s_service_port
    }

    redis = {
      ca_secret_id  = module.redis.ca_secret_id
      endpoint_cidr = module.network.psc_cidr
      url           = module.redis.redis_url
    }

    workload = {
      service_account_email  = "${var.workload_service_account_id}@${var.project_id}.iam.gserviceaccount.com"
      write_tokens_secret_id = var.write_tokens_secret_id
    }
  }
}
