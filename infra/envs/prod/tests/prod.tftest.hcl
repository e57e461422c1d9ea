# Offline test of the production root: the modules wired with
# terraform.tfvars produce the values the chart and the pipeline consume.

mock_provider "google" {
  # Resource IDs feed other resources' arguments; keep them realistic so the
  # provider's own validation accepts them in apply runs.
  mock_resource "google_compute_network" {
    defaults = {
      id        = "projects/example-kv-prod/global/networks/kv"
      self_link = "https://www.googleapis.com/compute/v1/projects/example-kv-prod/global/networks/kv"
    }
  }

  mock_resource "google_compute_subnetwork" {
    defaults = {
      id = "projects/example-kv-prod/regions/us-central1/subnetworks/kv-nodes"
    }
  }

  mock_resource "google_network_connectivity_service_connection_policy" {
    defaults = {
      id = "projects/example-kv-prod/locations/us-central1/serviceConnectionPolicies/kv-redis-psc"
    }
  }

  mock_resource "google_container_cluster" {
    defaults = {
      id = "projects/example-kv-prod/locations/us-central1/clusters/kv-prod"
    }
  }

  mock_resource "google_secret_manager_secret" {
    defaults = {
      id = "projects/example-kv-prod/secrets/kv-redis-ca"
    }
  }

  mock_resource "google_redis_cluster" {
    defaults = {
      discovery_endpoints = [{ address = "10.10.8.2", port = 6379, psc_config = [] }]
      managed_server_ca = [{
        ca_certs = [{ certificates = ["-----BEGIN CERTIFICATE-----\nMOCK\n-----END CERTIFICATE-----"] }]
      }]
    }
  }

  mock_resource "google_iam_workload_identity_pool" {
    defaults = {
      name = "projects/123456789012/locations/global/workloadIdentityPools/buildkite"
    }
  }

  mock_resource "google_iam_workload_identity_pool_provider" {
    defaults = {
      name = "projects/123456789012/locations/global/workloadIdentityPools/buildkite/providers/buildkite-oidc"
    }
  }

  mock_resource "google_certificate_manager_dns_authorization" {
    defaults = {
      dns_resource_record = [{ name = "_acme-challenge.kv.example.com.", type = "CNAME", data = "x.authorize.certificatemanager.goog." }]
    }
  }

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

run "outputs_match_the_canonical_names" {
  command = apply

  assert {
    condition     = output.image_repository == "us-central1-docker.pkg.dev/example-kv-prod/kv/kv"
    error_message = "image_repository must be us-central1-docker.pkg.dev/example-kv-prod/kv/kv."
  }

  assert {
    condition     = output.wif_provider_name == "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/buildkite/providers/buildkite-oidc"
    error_message = "wif_provider_name must be the provider's full audience."
  }

  assert {
    condition     = output.redis_dns_name == "redis.kv.internal" && output.redis_url == "rediss://redis.kv.internal:6379" && output.redis_discovery_address == "10.10.8.2"
    error_message = "The chart reaches Redis at rediss://redis.kv.internal:6379."
  }

  assert {
    condition     = output.cloud_armor_policy_name == "kv-edge-policy" && output.ssl_policy_name == "kv-ssl-policy" && output.static_ip_name == "kv-gateway-ip" && output.certificate_map_name == "kv-cert-map"
    error_message = "Edge names must match what the Gateway and the chart reference."
  }

  assert {
    condition     = output.gke_cluster_name == "kv-prod" && output.redis_ca_secret_id == "kv-redis-ca" && output.write_tokens_secret_id == "kv-write-tokens"
    error_message = "Cluster and secret names must match the chart's values."
  }
}

# The platform object is built from inputs (tools/generate evaluates it with
# no state); it must name what the modules create.
run "platform_names_what_the_modules_create" {
  command = apply

  assert {
    condition     = output.platform.image_repository == output.image_repository && output.platform.ci.wif_audience == output.wif_provider_name
    error_message = "platform.image_repository and platform.ci.wif_audience must be the registry's and ci_identity's outputs."
  }

  assert {
    condition     = output.platform.workload.service_account_email == output.workload_service_account_email && output.platform.redis.url == output.redis_url && output.platform.redis.ca_secret_id == output.redis_ca_secret_id && output.platform.workload.write_tokens_secret_id == output.write_tokens_secret_id
    error_message = "platform.workload and platform.redis must be the gke, redis and secret outputs."
  }

  assert {
    condition     = output.platform.edge == { certificate_map = output.certificate_map_name, hostname = "kv.example.com", security_policy = output.cloud_armor_policy_name, ssl_policy = output.ssl_policy_name, static_ip = output.static_ip_name }
    error_message = "platform.edge must be the edge module's names."
  }
}

run "binary_authorization_admits_the_platform_repository" {
  command = apply

  assert {
    condition     = contains([for p in google_binary_authorization_policy.this.admission_whitelist_patterns : p.name_pattern], "${module.registry.repository_path}/*")
    error_message = "The repository the pipeline pushes to must be among the images Binary Authorization admits (root local and registry module must agree)."
  }

  assert {
    condition     = google_binary_authorization_policy.this.default_admission_rule[0].evaluation_mode == "ALWAYS_DENY" && google_binary_authorization_policy.this.default_admission_rule[0].enforcement_mode == "ENFORCED_BLOCK_AND_AUDIT_LOG"
    error_message = "Images outside the admitted patterns must be denied."
  }
}

run "rejects_an_allow_everything_image_pattern" {
  command = plan

  variables {
    binary_authorization_allowed_images = ["*"]
  }

  expect_failures = [var.binary_authorization_allowed_images]
}

run "project_enables_every_api_the_resources_need" {
  command = plan

  assert {
    condition     = length(setsubtract(["cloudresourcemanager.googleapis.com", "serviceusage.googleapis.com", "containerscanning.googleapis.com"], keys(google_project_service.this))) == 0
    error_message = "Project IAM bindings need cloudresourcemanager, enabling APIs needs serviceusage, and image scanning needs containerscanning."
  }
}

run "every_alert_pages_the_on_call_group" {
  command = plan

  assert {
    condition     = google_monitoring_notification_channel.oncall.type == "email" && google_monitoring_notification_channel.oncall.labels.email_address == "kv-oncall@example.com"
    error_message = "Prod must have a notification channel for its alerts."
  }
}

run "maintenance_windows_do_not_overlap" {
  command = apply

  assert {
    condition     = module.redis.maintenance_day == "SATURDAY" && strcontains(module.gke.maintenance_recurrence, "BYDAY=TU,WE,TH")
    error_message = "Redis maintenance must fall outside the GKE window's days."
  }
}
