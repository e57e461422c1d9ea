# Offline tests of the network module: the real google provider's schema
# with mocked API calls (no project needed).

mock_provider "google" {}

variables {
  project_id = "example-kv-prod"
  region     = "us-central1"
  name       = "kv"
}

run "vpc_is_custom_mode_with_private_access_and_flow_logs" {
  command = plan

  assert {
    condition     = google_compute_network.this.auto_create_subnetworks == false
    error_message = "The VPC must be custom-mode (no auto-created subnets in every region)."
  }

  assert {
    condition     = google_compute_subnetwork.nodes.private_ip_google_access && google_compute_subnetwork.psc.private_ip_google_access
    error_message = "Private nodes need Private Google Access on their subnets."
  }

  assert {
    condition     = length(google_compute_subnetwork.nodes.log_config) == 1 && length(google_compute_subnetwork.psc.log_config) == 1
    error_message = "Every subnet must have flow logs."
  }

  assert {
    condition     = toset([for r in google_compute_subnetwork.nodes.secondary_ip_range : r.range_name]) == toset(["kv-pods", "kv-services"])
    error_message = "The nodes subnet must carry the pods and services secondary ranges."
  }
}

run "nat_logs_and_never_exposes_nodes" {
  command = plan

  assert {
    condition     = google_compute_router_nat.this.log_config[0].enable && google_compute_router_nat.this.log_config[0].filter == "ERRORS_ONLY"
    error_message = "Cloud NAT must log (errors by default)."
  }

  assert {
    condition     = google_compute_router_nat.this.source_subnetwork_ip_ranges_to_nat == "LIST_OF_SUBNETWORKS" && length(google_compute_router_nat.this.subnetwork) == 1
    error_message = "NAT must cover only the nodes subnet."
  }
}

run "firewall_denies_by_default_and_admits_only_google_health_checks" {
  command = plan

  assert {
    condition     = google_compute_firewall.deny_all_ingress.priority == 65534 && one(google_compute_firewall.deny_all_ingress.deny).protocol == "all"
    error_message = "A logged deny-all ingress rule must sit just above the implied rules."
  }

  assert {
    condition     = toset(google_compute_firewall.allow_lb_health_checks.source_ranges) == toset(["35.191.0.0/16", "130.211.0.0/22"])
    error_message = "Only Google's health check and front-end ranges may reach the nodes."
  }

  assert {
    condition     = one(google_compute_firewall.allow_lb_health_checks.allow).ports == tolist(["8080"])
    error_message = "Health checks reach the serving port only."
  }
}

run "rejects_duplicate_ranges" {
  command = plan

  variables {
    subnets = { pods_cidr = "10.10.0.0/22" }
  }

  expect_failures = [var.subnets]
}

run "rejects_a_pods_range_smaller_than_a_21" {
  command = plan

  variables {
    subnets = { pods_cidr = "10.16.0.0/24" }
  }

  expect_failures = [var.subnets]
}

run "rejects_a_cidr_that_is_not_a_network_address" {
  command = plan

  variables {
    subnets = { nodes_cidr = "10.10.0.1/22" }
  }

  expect_failures = [var.subnets]
}

run "rejects_switching_flow_logs_off" {
  command = plan

  variables {
    flow_logs = { sampling = 0 }
  }

  expect_failures = [var.flow_logs]
}

run "rejects_an_unknown_nat_log_filter" {
  command = plan

  variables {
    nat = { log_filter = "EVERYTHING" }
  }

  expect_failures = [var.nat]
}

run "memorystore_gets_its_psc_endpoints_from_one_policy_of_the_network" {
  command = apply

  assert {
    condition     = google_network_connectivity_service_connection_policy.redis.service_class == "gcp-memorystore-redis" && google_network_connectivity_service_connection_policy.redis.location == "us-central1" && google_network_connectivity_service_connection_policy.redis.psc_config[0].subnetworks == tolist([google_compute_subnetwork.psc.id])
    error_message = "The network's service connection policy must place Memorystore endpoints in its PSC subnet."
  }

  assert {
    condition     = output.redis_service_connection_policy_id == google_network_connectivity_service_connection_policy.redis.id
    error_message = "The policy id is an output, for the redis module to order itself after it."
  }
}
