# Offline tests of the observability module: the 99.99% SLO is measured at
# the load balancer, and burn-rate alerts watch it.

mock_provider "google" {}

variables {
  project_id = "example-kv-prod"
  hostname   = "kv.example.com"

  alerting = {
    notification_channels = ["projects/example-kv-prod/notificationChannels/123"]
  }

  service = {
    kubernetes_service = { name = "kv", namespace = "kv", port = 80 }
  }

  watched = {
    redis_cluster_id     = "kv-redis"
    security_policy_name = "kv-edge-policy"
  }
}

run "slo_tracks_load_balancer_requests_without_server_errors" {
  command = plan

  assert {
    condition     = google_monitoring_slo.availability.goal == 0.9999 && google_monitoring_slo.availability.rolling_period_days == 28
    error_message = "The Cloud Monitoring SLO must carry the real objective (99.99%) over 28 days."
  }

  assert {
    condition     = strcontains(google_monitoring_slo.availability.request_based_sli[0].good_total_ratio[0].total_service_filter, "monitoring.regex.full_match(\"gkegw1-.*-kv-kv-80-.*\")")
    error_message = "The SLI must select the backend service GKE names after the Service port (80), not the container port."
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

run "backend_service_follows_the_service_port_passed_in" {
  command = plan

  variables {
    service = {
      kubernetes_service = { name = "kv", namespace = "kv", port = 8443 }
    }
  }

  assert {
    condition = alltrue([
      for p in google_monitoring_alert_policy.burn_rate : strcontains(p.conditions[0].condition_prometheus_query_language[0].query, "backend_target_name=~\"gkegw1-.*-kv-kv-8443-.*\"")
    ])
    error_message = "The burn-rate alerts must select the backend service of the Service port passed in."
  }
}

run "every_alert_reaches_the_notification_channels" {
  command = plan

  assert {
    condition = alltrue(concat(
      [for p in google_monitoring_alert_policy.burn_rate : p.notification_channels == tolist(["projects/example-kv-prod/notificationChannels/123"])],
      [for p in google_monitoring_alert_policy.threshold : p.notification_channels == tolist(["projects/example-kv-prod/notificationChannels/123"])],
    ))
    error_message = "Every alert policy must notify the channels passed in."
  }
}

run "rejects_alerts_without_a_notification_channel" {
  command = plan

  variables {
    alerting = { notification_channels = [] }
  }

  expect_failures = [var.alerting]
}

run "alerts_on_what_the_server_error_sli_cannot_see" {
  command = apply

  assert {
    condition     = toset(keys(google_monitoring_alert_policy.threshold)) == toset(["edge_denials_enforced", "edge_denials_previewed", "redis_memory", "redis_node_unhealthy", "uptime", "certificate_expiry"]) && strcontains(google_logging_metric.edge_denials["enforced"].filter, "jsonPayload.enforcedSecurityPolicy.name=\"kv-edge-policy\"") && strcontains(google_logging_metric.edge_denials["previewed"].filter, "jsonPayload.previewSecurityPolicy.outcome=\"DENY\"")
    error_message = "Cloud Armor denials (4xx, invisible to the SLI), enforced and previewed, Redis memory and nodes, uptime and the certificate must each alert."
  }

  assert {
    condition     = strcontains(google_monitoring_alert_policy.threshold["redis_memory"].conditions[0].condition_threshold[0].filter, "redis.googleapis.com/cluster/memory/maximum_utilization") && strcontains(google_monitoring_alert_policy.threshold["redis_memory"].conditions[0].condition_threshold[0].filter, "\"cluster_id\"=\"kv-redis\"") && google_monitoring_alert_policy.threshold["redis_memory"].conditions[0].condition_threshold[0].threshold_value == 0.8
    error_message = "Redis memory of the kv cluster must alert before a noeviction cluster fills up."
  }

  assert {
    condition     = strcontains(google_monitoring_alert_policy.threshold["redis_node_unhealthy"].conditions[0].condition_threshold[0].filter, "redis.googleapis.com/cluster/node/server/healthy") && strcontains(google_monitoring_alert_policy.threshold["redis_node_unhealthy"].conditions[0].condition_threshold[0].filter, "\"cluster_id\"=\"kv-redis\"")
    error_message = "A Redis node going unhealthy (a failover or a replacement) must alert."
  }

  assert {
    condition     = strcontains(google_monitoring_alert_policy.threshold["certificate_expiry"].conditions[0].condition_threshold[0].filter, "uptime_check/time_until_ssl_cert_expires") && google_monitoring_alert_policy.threshold["certificate_expiry"].conditions[0].condition_threshold[0].comparison == "COMPARISON_LT"
    error_message = "A served certificate close to expiry (a failed managed renewal) must alert."
  }
}

run "rejects_a_slow_burn_faster_than_the_fast_one" {
  command = plan

  variables {
    alerting = { fast_burn_rate = 5, slow_burn_rate = 6, notification_channels = ["projects/example-kv-prod/notificationChannels/123"] }
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
