variable "alerting" {
  description = "Alerting: Cloud Armor denials (enforced and previewed) above edge_denials_per_minute per rule, Redis memory above redis_memory_utilization, a served certificate closer than certificate_expiry_days to expiry, burn-rate alerts on the SLO (multi-window, multi-burn-rate: page when the fast pair (long and short window) both burn above fast_burn_rate, ticket on the slow pair; windows are durations in seconds such as 3600s), and the notification channels (at least one) every alert goes to."
  type = object({
    certificate_expiry_days  = optional(number, 21)
    edge_denials_per_minute  = optional(number, 60)
    fast_burn_rate           = optional(number, 14.4)
    fast_long_window         = optional(string, "3600s")
    fast_short_window        = optional(string, "300s")
    notification_channels    = list(string)
    slow_burn_rate           = optional(number, 6)
    slow_long_window         = optional(string, "21600s")
    slow_short_window        = optional(string, "1800s")
    redis_memory_utilization = optional(number, 0.8)
  })
  nullable = false

  # An alert without a channel pages nobody.
  validation {
    condition     = length(var.alerting.notification_channels) > 0
    error_message = "alerting.notification_channels must name at least one notification channel: alerts without one reach nobody."
  }

  validation {
    condition     = alltrue([for w in [var.alerting.fast_long_window, var.alerting.fast_short_window, var.alerting.slow_long_window, var.alerting.slow_short_window] : can(regex("^[1-9][0-9]*s$", w))])
    error_message = "alerting.*_window must be durations in whole seconds such as 3600s."
  }

  validation {
    condition = try(
      tonumber(trimsuffix(var.alerting.fast_short_window, "s")) < tonumber(trimsuffix(var.alerting.fast_long_window, "s")) &&
      tonumber(trimsuffix(var.alerting.slow_short_window, "s")) < tonumber(trimsuffix(var.alerting.slow_long_window, "s")),
      false
    )
    error_message = "Each short window must be shorter than its long window (it confirms the burn is still happening)."
  }

  validation {
    condition     = var.alerting.redis_memory_utilization > 0 && var.alerting.redis_memory_utilization < 1
    error_message = "alerting.redis_memory_utilization must be a fraction between 0 and 1."
  }

  validation {
    condition     = var.alerting.fast_burn_rate > var.alerting.slow_burn_rate && var.alerting.slow_burn_rate > 1
    error_message = "alerting.fast_burn_rate must exceed alerting.slow_burn_rate, which must exceed 1 (a burn rate of 1 spends the budget exactly over the SLO period)."
  }
}

variable "hostname" {
  description = "Public host name the uptime check probes over HTTPS."
  type        = string
  nullable    = false
}

variable "project_id" {
  description = "Project hosting the monitoring objects (the scoping project of the workload)."
  type        = string
  nullable    = false
}

variable "service" {
  description = "Monitoring service that owns the SLO, and the Kubernetes Service behind the Gateway: GKE names its backend service gkegw1-<hash>-<namespace>-<service>-<port>-<hash> after the Service port (not the container port), so kubernetes_service.port must be the chart's Service port."
  type = object({
    display_name = optional(string, "kv")
    id           = optional(string, "kv")
    kubernetes_service = object({
      name      = string
      namespace = string
      port      = number
    })
  })
  nullable = false

  validation {
    condition     = var.service.kubernetes_service.port >= 1 && var.service.kubernetes_service.port <= 65535 && floor(var.service.kubernetes_service.port) == var.service.kubernetes_service.port
    error_message = "service.kubernetes_service.port must be a TCP port number."
  }

  validation {
    condition     = alltrue([for n in [var.service.kubernetes_service.name, var.service.kubernetes_service.namespace] : can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", n))])
    error_message = "service.kubernetes_service name and namespace must be Kubernetes DNS labels."
  }
}

variable "slo" {
  description = "Availability SLO on the load balancer's request counts: the share of requests not answered 5xx, over a rolling window of 1-30 days."
  type = object({
    goal                = optional(number, 0.9999)
    rolling_period_days = optional(number, 28)
  })
  default  = {}
  nullable = false

  validation {
    # The provider bounds the goal above (at most 0.9999); below 90% is not
    # an availability objective for this service.
    condition     = var.slo.goal >= 0.9
    error_message = "slo.goal must be at least 0.9."
  }

  validation {
    condition     = var.slo.rolling_period_days >= 1 && var.slo.rolling_period_days <= 30 && floor(var.slo.rolling_period_days) == var.slo.rolling_period_days
    error_message = "slo.rolling_period_days must be a whole number from 1 to 30."
  }
}

variable "uptime_check" {
  description = "Black-box probe of the public path. period is one of 60s, 300s, 600s, 900s."
  type = object({
    path    = optional(string, "/")
    period  = optional(string, "60s")
    timeout = optional(string, "10s")
  })
  default  = {}
  nullable = false

  validation {
    condition     = startswith(var.uptime_check.path, "/")
    error_message = "uptime_check.path must start with /."
  }

  validation {
    condition     = contains(["60s", "300s", "600s", "900s"], var.uptime_check.period)
    error_message = "uptime_check.period must be one of 60s, 300s, 600s, 900s."
  }
}

variable "watched" {
  description = "Resources outside this module that alerts watch: the Cloud Armor policy of the edge and the Memorystore for Redis Cluster (its cluster_id, the name)."
  type = object({
    redis_cluster_id     = string
    security_policy_name = string
  })
  nullable = false
}
