output "burn_rate_alert_policy_names" {
  description = "Resource names of the burn-rate alert policies, by speed (fast, slow)."
  value       = { for k, p in google_monitoring_alert_policy.burn_rate : k => p.name }
}

output "slo_name" {
  description = "Resource name of the availability SLO."
  value       = google_monitoring_slo.availability.name
}

output "uptime_check_id" {
  description = "ID of the uptime check."
  value       = google_monitoring_uptime_check_config.https.uptime_check_id
}
