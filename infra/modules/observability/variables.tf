variable "alerting" {
  description = "Burn-rate alerting on the SLO (multi-window, multi-burn-rate): page when the fast pair (long and short window) both burn above fast_burn_rate, ticket on the slow pair. Windows are durations in seconds such as 3600s."
  type = object({
    fast_burn_rate        = optional(number, 14.4)
    fast_long_window      = optional(string, "3600s")
    fast_short_window     = optional(string, "300s")
    notification_channels = optional(list(string), [])
    slow_burn_rate        = optional(number, 6)
    slow_long_window      = optional(string, "21600s")
    slow_short_window     = optional(string, "1800s")
  })
  default  = {}
  nullable = false

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
  description = "Monitoring service that owns the SLO. backend_service_regex selects the Gateway's backend service for the kv Service (GKE names it gkegw1-<hash>-<namespace>-<service>-<port>-<hash>)."
  type = object({
    backend_service_regex = optional(string, "gkegw1-.*-kv-kv-8080-.*")
    display_name          = optional(string, "kv")
    id                    = optional(string, "kv")
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^[a-z0-9][-a-z0-9]{0,62}$", var.service.id))
    error_message = "service.id must be lowercase letters, digits and hyphens."
  }

  validation {
    condition     = length(var.service.backend_service_regex) > 0 && !strcontains(var.service.backend_service_regex, "\"")
    error_message = "service.backend_service_regex must be a non-empty RE2 expression without double quotes."
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
    condition     = var.slo.goal >= 0.9 && var.slo.goal < 1
    error_message = "slo.goal must be at least 0.9 and below 1 (a 100% goal leaves no error budget)."
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
