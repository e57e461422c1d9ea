# Threshold alerts besides the burn rate: what the 5xx-only SLI cannot see
# at all, or sees too late. One policy per entry of local.threshold_alerts.

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

locals {
  memory_percent = format("%.0f", var.alerting.redis_memory_utilization * 100)
  redis_filter   = "resource.label.\"cluster_id\"=\"${var.watched.redis_cluster_id}\""
  uptime_filter  = "resource.type=\"uptime_url\" AND metric.label.\"check_id\"=\"${google_monitoring_uptime_check_config.https.uptime_check_id}\""

  threshold_alerts = merge(
    {
      for kind, denial in local.edge_denials : "edge_denials_${kind}" => {
        name      = "Cloud Armor ${kind} denials above ${var.alerting.edge_denials_per_minute}/min"
        severity  = "WARNING"
        condition = "${kind} denials per rule above ${var.alerting.edge_denials_per_minute}/min for 10 min"
        filter    = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.edge_denials[kind].name}\" AND resource.type=\"http_load_balancer\""
        less_than = false
        threshold = var.alerting.edge_denials_per_minute / 60
        duration  = "600s"
        period    = "60s"
        aligner   = "ALIGN_RATE"
        reducer   = "REDUCE_SUM"
        group_by  = ["metric.label.priority"]
        close     = "1800s"
        content   = "${denial.meaning} Find the rule by the priority label and the requests in the load balancer log (jsonPayload.statusDetails=\"denied_by_security_policy\"; the log is sampled at the chart's logSampleRate): an attack, or legitimate clients refused (a false positive, or many clients behind one NAT address)."
      }
    },
    {
      # With maxmemory-policy noeviction a full cluster refuses every write.
      redis_memory = {
        name      = "Redis memory above ${local.memory_percent}%"
        severity  = "CRITICAL"
        condition = "Fullest node of ${var.watched.redis_cluster_id} above ${local.memory_percent}% for 5 min"
        filter    = "metric.type=\"redis.googleapis.com/cluster/memory/maximum_utilization\" AND resource.type=\"redis.googleapis.com/Cluster\" AND ${local.redis_filter}"
        less_than = false
        threshold = var.alerting.redis_memory_utilization
        duration  = "300s"
        period    = "60s"
        aligner   = "ALIGN_MAX"
        reducer   = null
        group_by  = null
        close     = "1800s"
        content   = "Redis uses noeviction: when a node is full every write to its slots fails. Add shards (redis_shard_count in terraform.tfvars) before it fills."
      }
      # A node that is not healthy is being failed over (a primary: its
      # replica is promoted and writes to its slots fail for seconds) or
      # replaced (a replica: the shard has one copy less until it is back).
      redis_node_unhealthy = {
        name      = "Redis node unhealthy (failover or replacement)"
        severity  = "WARNING"
        condition = "A node of ${var.watched.redis_cluster_id} reports unhealthy"
        filter    = "metric.type=\"redis.googleapis.com/cluster/node/server/healthy\" AND resource.type=\"redis.googleapis.com/ClusterNode\" AND ${local.redis_filter}"
        less_than = true
        threshold = 1
        duration  = "60s"
        period    = "60s"
        aligner   = "ALIGN_FRACTION_TRUE"
        reducer   = null
        group_by  = null
        close     = "1800s"
        content   = "Memorystore is failing over or replacing a node. Expect seconds of MOVED/connection errors on its shard (the client retries); if it repeats, check the zone's health and the cluster's operations."
      }
      uptime = {
        name      = "uptime check failing"
        severity  = "CRITICAL"
        condition = "Uptime check fails from several regions"
        filter    = "metric.type=\"monitoring.googleapis.com/uptime_check/check_passed\" AND ${local.uptime_filter}"
        less_than = false
        threshold = 1
        duration  = "120s"
        period    = "1200s"
        aligner   = "ALIGN_NEXT_OLDER"
        reducer   = "REDUCE_COUNT_FALSE"
        group_by  = ["resource.label.*"]
        close     = "1800s"
        content   = "https://${var.hostname}${var.uptime_check.path} fails from more than one checker region. Check DNS, the certificate map, the Gateway and the pods."
      }
      # The managed certificate renews itself; if renewal fails (DNS
      # authorization record gone), the uptime check sees the expiry coming.
      # The metric counts days.
      certificate_expiry = {
        name      = "TLS certificate expires within ${var.alerting.certificate_expiry_days} days"
        severity  = "CRITICAL"
        condition = "Days until the served certificate expires below ${var.alerting.certificate_expiry_days}"
        filter    = "metric.type=\"monitoring.googleapis.com/uptime_check/time_until_ssl_cert_expires\" AND ${local.uptime_filter}"
        less_than = true
        threshold = var.alerting.certificate_expiry_days
        duration  = "600s"
        period    = "1200s"
        aligner   = "ALIGN_NEXT_OLDER"
        reducer   = "REDUCE_MIN"
        group_by  = null
        close     = "86400s"
        content   = "Google-managed certificates renew about 30 days before expiry; one this close has failed to renew. Check the certificate's state in Certificate Manager and the DNS authorization CNAME in the public zone."
      }
    },
  )
}

resource "google_monitoring_alert_policy" "threshold" {
  for_each = local.threshold_alerts

  project               = var.project_id
  display_name          = "${var.service.display_name} ${each.value.name}"
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = var.alerting.notification_channels

  conditions {
    display_name = each.value.condition
    condition_threshold {
      filter          = each.value.filter
      comparison      = each.value.less_than ? "COMPARISON_LT" : "COMPARISON_GT"
      threshold_value = each.value.threshold
      duration        = each.value.duration

      aggregations {
        alignment_period     = each.value.period
        per_series_aligner   = each.value.aligner
        cross_series_reducer = each.value.reducer
        group_by_fields      = each.value.group_by
      }
    }
  }

  alert_strategy {
    auto_close = each.value.close
  }

  documentation {
    mime_type = "text/markdown"
    content   = each.value.content
  }
}
