# Probes the public path from several continents; catches what request
# metrics cannot (DNS, certificate, no traffic at all).
resource "google_monitoring_uptime_check_config" "https" {
  project      = var.project_id
  display_name = "${var.service.display_name} https://${var.hostname}${var.uptime_check.path}"
  period       = var.uptime_check.period
  timeout      = var.uptime_check.timeout
  checker_type = "STATIC_IP_CHECKERS"

  http_check {
    path         = var.uptime_check.path
    port         = 443
    use_ssl      = true
    validate_ssl = true

    accepted_response_status_codes {
      status_class = "STATUS_CLASS_2XX"
    }
  }

  monitored_resource {
    type = "uptime_url"
    labels = {
      project_id = var.project_id
      host       = var.hostname
    }
  }
}
