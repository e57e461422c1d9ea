output "certificate_map_name" {
  description = "Certificate map the Gateway uses (annotation networking.gke.io/certmap)."
  value       = google_certificate_manager_certificate_map.this.name
}

output "dns_authorization_record" {
  description = "CNAME to create in the public zone of the hostname so the managed certificate can be issued."
  value = {
    data = google_certificate_manager_dns_authorization.this.dns_resource_record[0].data
    name = google_certificate_manager_dns_authorization.this.dns_resource_record[0].name
    type = google_certificate_manager_dns_authorization.this.dns_resource_record[0].type
  }
}

output "security_policy_name" {
  description = "Cloud Armor policy the chart's GCPBackendPolicy attaches."
  value       = google_compute_security_policy.this.name
}

output "ssl_policy_name" {
  description = "SSL policy the chart's GCPGatewayPolicy attaches."
  value       = google_compute_ssl_policy.this.name
}

output "static_ip_address" {
  description = "The reserved frontend address (create the hostname's A record with it)."
  value       = google_compute_global_address.gateway.address
}

output "static_ip_name" {
  description = "Name of the reserved address (Gateway spec.addresses NamedAddress)."
  value       = google_compute_global_address.gateway.name
}
