# What operators need after an apply; `platform` is what the rest of the
# repository is generated from (tools/generate).

output "certificate_map_name" {
  description = "Certificate map for the Gateway annotation networking.gke.io/certmap."
  value       = module.edge.certificate_map_name
}

output "ci_service_account_email" {
  description = "Service account the pipeline impersonates to push images."
  value       = module.ci_identity.service_account_email
}

output "cloud_armor_policy_name" {
  description = "Cloud Armor policy for the chart's GCPBackendPolicy."
  value       = module.edge.security_policy_name
}

output "dns_authorization_record" {
  description = "CNAME to add to the public zone so the managed certificate is issued."
  value       = module.edge.dns_authorization_record
}

output "gke_cluster_name" {
  description = "GKE cluster name (gcloud container clusters get-credentials)."
  value       = module.gke.cluster_name
}

output "image_repository" {
  description = "Full image address the pipeline pushes to and the chart pins by digest."
  value       = module.registry.image_repository
}

output "platform" {
  description = "Every name and number other areas use (chart values, Gateway, image repository, pipeline identity, capacity), known before apply."
  value       = local.platform
}

output "redis_ca_secret_id" {
  description = "Secret Manager secret with the Redis server CA bundle (KV_REDIS_TLS_CA_FILE)."
  value       = module.redis.ca_secret_id
}

output "redis_discovery_address" {
  description = "Address of the Redis Cluster discovery endpoint (target of the private A record)."
  value       = module.redis.discovery_address
}

output "redis_dns_name" {
  description = "Private DNS name of the Redis discovery endpoint."
  value       = module.redis.dns_name
}

output "redis_url" {
  description = "REDIS_URL for the chart."
  value       = module.redis.redis_url
}

output "slo_name" {
  description = "Resource name of the 99.99% availability SLO."
  value       = module.observability.slo_name
}

output "ssl_policy_name" {
  description = "SSL policy for the chart's GCPGatewayPolicy."
  value       = module.edge.ssl_policy_name
}

output "static_ip_address" {
  description = "Gateway frontend address (A record of the hostname)."
  value       = module.edge.static_ip_address
}

output "static_ip_name" {
  description = "Reserved global address name for the Gateway's NamedAddress."
  value       = module.edge.static_ip_name
}

output "wif_provider_name" {
  description = "Full audience of the Buildkite OIDC provider: //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER."
  value       = module.ci_identity.provider_audience
}

output "workload_service_account_email" {
  description = "Google service account for the kv Kubernetes service account (iam.gke.io/gcp-service-account annotation)."
  value       = module.gke.workload_service_account_email
}

output "write_tokens_secret_id" {
  description = "Secret Manager secret with the write bearer tokens (KV_AUTH_TOKENS_FILE)."
  value       = google_secret_manager_secret.write_tokens.secret_id
}
