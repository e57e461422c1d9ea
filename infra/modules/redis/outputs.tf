output "ca_secret_id" {
  description = "Secret Manager id of the Redis server CA bundle (known before apply: the chart's values are generated from it)."
  value       = var.secrets.ca_secret_id
}

output "client_ports" {
  description = "TCP ports clients reach on the PSC endpoints: 6379 for discovery and 11000-13047 for the shard nodes (egress NetworkPolicy and firewalls must allow both)."
  value = {
    discovery  = 6379
    node_first = 11000
    node_last  = 13047
  }
}

output "cluster_id" {
  description = "ID of the Memorystore for Redis Cluster."
  value       = google_redis_cluster.this.id
}

output "cluster_name" {
  description = "Name of the Memorystore for Redis Cluster."
  value       = google_redis_cluster.this.name
}

output "discovery_address" {
  description = "Address of the cluster's discovery endpoint (the A record's target)."
  value       = google_redis_cluster.this.discovery_endpoints[0].address
}

output "dns_name" {
  description = "Private DNS name of the discovery endpoint."
  value       = var.dns_name
}

output "maintenance_day" {
  description = "Day of the weekly Redis maintenance window (UTC)."
  value       = google_redis_cluster.this.maintenance_policy[0].weekly_maintenance_window[0].day
}

output "redis_url" {
  description = "REDIS_URL for the workload: TLS, cluster mode, through the private name."
  value       = "rediss://${var.dns_name}:6379"
}
