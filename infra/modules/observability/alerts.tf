locals {
  # The same request counts in PromQL (Cloud Monitoring metrics are queryable
  # as <domain>:<path> with their labels).
  promql_selector = "monitored_resource=\"https_lb_rule\",backend_target_name=~\"${local.backend_service_regex}\""
  promql_error_ratio = {
    for window in distinct([
      var.alerting.fast_long_window, var.alerting.fast_short_window,
      var.alerting.slow_long_window, var.alerting.slow_short_window,
    ]) :
    window => format(
      "(sum(rate(loadbalancing_googleapis_com:https_request_count{%s,response_code_class=\"500\"}[%s])) / sum(rate(loadbalancing_googleapis_com:https_request_count{%s}[%s])))",
      local.promql_selector, window, local.promql_selector, window,
    )
  }

  burn_rate_alerts = {
    fast = {
      rate      = var.alerting.fast_burn_rate
      threshold = format("%.8f", var.alerting.fast_burn_rate * local.error_budget)
      long      = var.alerting.fast_long_window
      short     = var.alerting.fast_short_window
      severity  = "CRITICAL"
      meaning   = "At this rate the whole monthly error budget is gone in about ${floor(30 * 24 / var.alerting.fast_burn_rate)} hours: page."
    }
    slow = {
      rate      = var.alerting.slow_burn_rate
      threshold = format("%.8f", var.alerting.slow_burn_rate * local.error_budget)
      long      = var.alerting.slow_long_window
      short     = var.alerting.slow_short_window
      severity  = "WARNING"
      meaning   = "At this rate the monthly error budget is gone in about ${floor(30 / var.alerting.slow_burn_rate)} days: investigate during working hours."
    }
  }
}

# Multi-window burn-rate alerts on the objective's own budget (1 - goal): the
# long window makes the alert significant, the short window makes it stop
# soon after the burn does. Both windows must exceed the same burn rate.
resource "google_monitoring_alert_policy" "burn_rate" {
  for_each = local.burn_rate_alerts

  project               = var.project_id
  display_name          = "${var.service.display_name} SLO ${each.key} burn (>${each.value.rate}x of a ${format("%.2f", var.slo.goal * 100)}% budget)"
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = var.alerting.notification_channels

  conditions {
    display_name = "5xx ratio over ${each.value.long} and over ${each.value.short} above ${each.value.threshold}"
    condition_prometheus_query_language {
      query               = "${local.promql_error_ratio[each.value.long]} > ${each.value.threshold} and ${local.promql_error_ratio[each.value.short]} > ${each.value.threshold}"
      duration            = "0s"
      evaluation_interval = "60s"
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "${each.value.meaning} Check recent rollouts (Argo CD history; roll back with `git revert` of the promote commit), Memorystore failovers, and zone health."
  }
}
