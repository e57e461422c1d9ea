# Alerts for what hurts before the SLO notices, or what the 5xx-only SLI
# cannot see at all.

locals {
  # Cloud Armor writes its verdict into the load balancer's request log
  # (jsonPayload.enforcedSecurityPolicy, and previewSecurityPolicy for rules
  # in preview). Denials are 4xx: the SLI never counts them.
  edge_log_filter = "resource.type=\"http_load_balancer\" AND jsonPayload.%s.name=\"${var.watched.security_policy_name}\" AND jsonPayload.%s.outcome=\"DENY\""
  edge_denials = {
    enforced = {
      filter  = format(local.edge_log_filter, "enforcedSecurityPolicy", "enforcedSecurityPolicy")
      meaning = "Cloud Armor is refusing requests at the edge (403/429)."
    }
    previewed = {
      filter  = format(local.edge_log_filter, "previewSecurityPolicy", "previewSecurityPolicy")
      meaning = "A rule still in preview would refuse these requests once enforced."
    }
  }
}

resource "google_logging_metric" "edge_denials" {
  for_each = local.edge_denials

  project     = var.project_id
  name        = "${var.service.id}-edge-denials-${each.key}"
  description = "Requests ${each.key == "enforced" ? "denied" : "that rules in preview would deny"} by Cloud Armor policy ${var.watched.security_policy_name}, by rule priority."
  filter      = each.value.filter

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "priority"
      value_type  = "STRING"
      description = "Priority of the rule that decided."
    }
  }

  label_extractors = {
    priority = "EXTRACT(jsonPayload.${each.key == "enforced" ? "enforcedSecurityPolicy" : "previewSecurityPolicy"}.priority)"
  }
}

resource "google_monitoring_alert_policy" "edge_denials" {
  for_each = local.edge_denials

  project               = var.project_id
  display_name          = "${var.service.display_name} Cloud Armor ${each.key} denials above ${var.alerting.edge_denials_per_minute}/min"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.alerting.notification_channels

  conditions {
    display_name = "${each.key} denials per rule above ${var.alerting.edge_denials_per_minute}/min for 10 min"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.edge_denials[each.key].name}\" AND resource.type=\"http_load_balancer\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alerting.edge_denials_per_minute / 60
      duration        = "600s"

      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.priority"]
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "${each.value.meaning} Find the rule by the priority label and the requests in the load balancer log (jsonPayload.statusDetails=\"denied_by_security_policy\"): an attack, or legitimate clients refused (a false positive, or many clients behind one NAT address)."
  }
}

# With maxmemory-policy noeviction a full cluster refuses every write.
resource "google_monitoring_alert_policy" "redis_memory" {
  project               = var.project_id
  display_name          = "${var.service.display_name} Redis memory above ${format("%.0f", var.alerting.redis_memory_utilization * 100)}%"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.alerting.notification_channels

  conditions {
    display_name = "Fullest node of ${var.watched.redis_cluster_id} above ${format("%.0f", var.alerting.redis_memory_utilization * 100)}% for 5 min"
    condition_threshold {
      filter          = "metric.type=\"redis.googleapis.com/cluster/memory/maximum_utilization\" AND resource.type=\"redis.googleapis.com/Cluster\" AND resource.label.\"cluster_id\"=\"${var.watched.redis_cluster_id}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alerting.redis_memory_utilization
      duration        = "300s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Redis uses noeviction: when a node is full every write to its slots fails. Add shards (redis_shard_count in terraform.tfvars) before it fills."
  }
}

# A node that is not healthy is being failed over (a primary: its replica
# is promoted and writes to its slots fail for seconds) or replaced (a
# replica: the shard has one copy less until it is back).
resource "google_monitoring_alert_policy" "redis_node_unhealthy" {
  project               = var.project_id
  display_name          = "${var.service.display_name} Redis node unhealthy (failover or replacement)"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.alerting.notification_channels

  conditions {
    display_name = "A node of ${var.watched.redis_cluster_id} reports unhealthy"
    condition_threshold {
      filter          = "metric.type=\"redis.googleapis.com/cluster/node/server/healthy\" AND resource.type=\"redis.googleapis.com/ClusterNode\" AND resource.label.\"cluster_id\"=\"${var.watched.redis_cluster_id}\""
      comparison      = "COMPARISON_LT"
      threshold_value = 1
      duration        = "60s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_FRACTION_TRUE"
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Memorystore is failing over or replacing a node. Expect seconds of MOVED/connection errors on its shard (the client retries); if it repeats, check the zone's health and the cluster's operations."
  }
}

# The managed certificate renews itself; if renewal fails (DNS
# authorization record gone), the uptime check sees the expiry coming.
resource "google_monitoring_alert_policy" "certificate_expiry" {
  project               = var.project_id
  display_name          = "${var.service.display_name} TLS certificate expires within ${var.alerting.certificate_expiry_days} days"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.alerting.notification_channels

  conditions {
    display_name = "Days until the served certificate expires below ${var.alerting.certificate_expiry_days}"
    condition_threshold {
      filter     = "metric.type=\"monitoring.googleapis.com/uptime_check/time_until_ssl_cert_expires\" AND resource.type=\"uptime_url\" AND metric.label.\"check_id\"=\"${google_monitoring_uptime_check_config.https.uptime_check_id}\""
      comparison = "COMPARISON_LT"
      # The metric counts days.
      threshold_value = var.alerting.certificate_expiry_days
      duration        = "600s"

      aggregations {
        alignment_period     = "1200s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_MIN"
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Google-managed certificates renew about 30 days before expiry; one this close has failed to renew. Check the certificate's state in Certificate Manager and the DNS authorization CNAME in the public zone."
  }
}
