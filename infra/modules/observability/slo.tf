locals {
  # Requests the global load balancer forwarded to the kv backend service.
  lb_requests = join(" AND ", [
    "metric.type=\"loadbalancing.googleapis.com/https/request_count\"",
    "resource.type=\"https_lb_rule\"",
    "resource.label.\"backend_target_name\"=monitoring.regex.full_match(\"${local.backend_service_regex}\")",
  ])
  # Only server errors spend the budget: 4xx are the client's doing.
  lb_server_errors = "${local.lb_requests} AND metric.label.\"response_code_class\"=500"

  error_budget = 1 - var.slo.goal

  # The Gateway's backend service for the kv Service, named by GKE after
  # the Service's namespace, name and port.
  backend_service_regex = format(
    "gkegw1-.*-%s-%s-%d-.*",
    var.service.kubernetes_service.namespace,
    var.service.kubernetes_service.name,
    var.service.kubernetes_service.port,
  )
}

resource "google_monitoring_custom_service" "this" {
  project      = var.project_id
  service_id   = var.service.id
  display_name = var.service.display_name
}

# Measured where users see it (the load balancer), so it counts failures of
# every layer behind it: Gateway, pods, Redis.
resource "google_monitoring_slo" "availability" {
  project             = var.project_id
  service             = google_monitoring_custom_service.this.service_id
  slo_id              = "availability"
  display_name        = "Requests without a server error, rolling ${var.slo.rolling_period_days} days (objective ${format("%.2f", var.slo.goal * 100)}%)"
  goal                = var.slo.goal
  rolling_period_days = var.slo.rolling_period_days

  request_based_sli {
    good_total_ratio {
      bad_service_filter   = local.lb_server_errors
      total_service_filter = local.lb_requests
    }
  }
}
