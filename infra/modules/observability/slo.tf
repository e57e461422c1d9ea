locals {
  # Requests the global load balancer forwarded to the kv backend service.
  lb_requests = join(" AND ", [
    "metric.type=\"loadbalancing.googleapis.com/https/request_count\"",
    "resource.type=\"https_lb_rule\"",
    "resource.label.\"backend_target_name\"=monitoring.regex.full_match(\"${var.service.backend_service_regex}\")",
  ])
  # Only server errors spend the budget: 4xx are the client's doing.
  lb_server_errors = "${local.lb_requests} AND metric.label.\"response_code_class\"=500"

  # Cloud Monitoring accepts SLO goals up to 99.9%. The service SLO below
  # tracks the SLI at the highest goal it accepts; the objective itself
  # (var.slo.goal, 99.99%) is enforced by the burn-rate alerts, which compute
  # the error ratio from the same metric against its own budget.
  monitoring_goal_max = 0.999
  error_budget        = 1 - var.slo.goal
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
  display_name        = "Requests without a server error, rolling ${var.slo.rolling_period_days} days (objective ${format("%.2f", var.slo.goal * 100)}%, tracked at ${format("%.1f", min(var.slo.goal, local.monitoring_goal_max) * 100)}%)"
  goal                = min(var.slo.goal, local.monitoring_goal_max)
  rolling_period_days = var.slo.rolling_period_days

  request_based_sli {
    good_total_ratio {
      bad_service_filter   = local.lb_server_errors
      total_service_filter = local.lb_requests
    }
  }
}
