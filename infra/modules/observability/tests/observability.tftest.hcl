# Offline tests of the observability module: the 99.99% SLO is measured at
# the load balancer, and burn-rate alerts watch it.

mock_provider "google" {}

variables {
  project_id = "example-kv-prod"
  hostname   = "kv.example.com"
}

run "slo_tracks_load_balancer_requests_without_server_errors" {
  command = plan

  assert {
    condition     = google_monitoring_slo.availability.goal == 0.999 && google_monitoring_slo.availability.rolling_period_days == 28
    error_message = "The Cloud Monitoring SLO must track the SLI at the highest goal the API accepts (99.9%) over 28 days."
  }

  assert {
    condition     = strcontains(google_monitoring_slo.availability.request_based_sli[0].good_total_ratio[0].total_service_filter, "loadbalancing.googleapis.com/https/request_count")
    error_message = "The SLI must count the load balancer's requests."
  }

  assert {
    condition     = strcontains(google_monitoring_slo.availability.request_based_sli[0].good_total_ratio[0].bad_service_filter, "metric.label.\"response_code_class\"=500")
    error_message = "Only server errors (5xx) may count against the SLO."
  }
}

run "burn_rate_alerts_enforce_the_four_nines_budget_on_two_windows" {
  command = plan

  assert {
    condition     = toset(keys(google_monitoring_alert_policy.burn_rate)) == toset(["fast", "slow"])
    error_message = "There must be a fast (page) and a slow (ticket) burn-rate alert."
  }

  assert {
    condition = alltrue([
      for p in google_monitoring_alert_policy.burn_rate : length(p.conditions) == 1 && length(p.conditions[0].condition_prometheus_query_language) == 1
    ])
    error_message = "Each burn-rate alert is one PromQL condition over the load balancer's request counts."
  }

  assert {
    condition = (
      strcontains(google_monitoring_alert_policy.burn_rate["fast"].conditions[0].condition_prometheus_query_language[0].query, "[3600s]")
      && strcontains(google_monitoring_alert_policy.burn_rate["fast"].conditions[0].condition_prometheus_query_language[0].query, "[300s]")
      && strcontains(google_monitoring_alert_policy.burn_rate["fast"].conditions[0].condition_prometheus_query_language[0].query, "> 0.00144000")
    )
    error_message = "The fast alert must require a 14.4x burn of the 0.01% budget over both 1 h and 5 min."
  }

  assert {
    condition = (
      strcontains(google_monitoring_alert_policy.burn_rate["slow"].conditions[0].condition_prometheus_query_language[0].query, "[21600s]")
      && strcontains(google_monitoring_alert_policy.burn_rate["slow"].conditions[0].condition_prometheus_query_language[0].query, "[1800s]")
      && strcontains(google_monitoring_alert_policy.burn_rate["slow"].conditions[0].condition_prometheus_query_language[0].query, "> 0.00060000")
    )
    error_message = "The slow alert must require a 6x burn of the 0.01% budget over both 6 h and 30 min."
  }
}

run "uptime_check_probes_the_public_path_over_verified_tls" {
  command = plan

  assert {
    condition     = google_monitoring_uptime_check_config.https.http_check[0].use_ssl && google_monitoring_uptime_check_config.https.http_check[0].validate_ssl && google_monitoring_uptime_check_config.https.http_check[0].path == "/"
    error_message = "The uptime check must request / over HTTPS with certificate validation."
  }

  assert {
    condition     = google_monitoring_uptime_check_config.https.monitored_resource[0].labels.host == "kv.example.com"
    error_message = "The uptime check must probe the public host name."
  }
}

run "rejects_a_hundred_percent_goal" {
  command = plan

  variables {
    slo = { goal = 1 }
  }

  expect_failures = [var.slo]
}

run "rejects_a_slow_burn_faster_than_the_fast_one" {
  command = plan

  variables {
    alerting = { fast_burn_rate = 5, slow_burn_rate = 6 }
  }

  expect_failures = [var.alerting]
}

run "rejects_an_unsupported_uptime_period" {
  command = plan

  variables {
    uptime_check = { period = "30s" }
  }

  expect_failures = [var.uptime_check]
}
