variable "hostname" {
  description = "Public host name served by the Gateway (certificate and map entry)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.hostname))
    error_message = "hostname must be a lowercase fully qualified domain name without a trailing dot, such as kv.example.com."
  }
}

variable "labels" {
  description = "Labels for resources that support them."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "names" {
  description = "Names the chart's Gateway objects refer to (the Gateway attaches to these by name)."
  type = object({
    certificate       = optional(string, "kv-cert")
    certificate_map   = string
    dns_authorization = optional(string, "kv-dns-auth")
    security_policy   = string
    ssl_policy        = string
    static_ip         = string
  })
  nullable = false

  validation {
    condition     = alltrue([for n in values(var.names) : can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", n))])
    error_message = "Every names.* value must be a resource name: lowercase letters, digits and hyphens, starting with a letter, at most 63 characters."
  }
}

variable "project_id" {
  description = "Project of the edge resources."
  type        = string
  nullable    = false
}

variable "security_policy" {
  description = "Cloud Armor: preconfigured WAF rule sets (evaluated at waf_sensitivity 1-4; the cve-canary set is always enforced on its own), per-client rate limiting (list_rate_limit: a smaller budget for the bulk GET /list; rate_limit: every other request; enforce_on_key one of IP, XFF_IP, ALL, HTTP_HEADER, HTTP_COOKIE, HTTP_PATH, SNI, REGION_CODE), and Adaptive Protection. preview logs matches without enforcing."
  type = object({
    adaptive_protection = optional(bool, true)
    list_rate_limit = optional(object({
      count        = optional(number, 300)
      interval_sec = optional(number, 60)
    }), {})
    preview = optional(bool, false)
    rate_limit = optional(object({
      ban_duration_sec = optional(number, 300)
      count            = optional(number, 1200)
      enforce_on_key   = optional(string, "IP")
      interval_sec     = optional(number, 60)
    }), {})
    waf_rule_sets = optional(list(string), [
      "sqli-v33-stable",
      "xss-v33-stable",
      "lfi-v33-stable",
      "rfi-v33-stable",
      "rce-v33-stable",
      "methodenforcement-v33-stable",
      "scannerdetection-v33-stable",
      "protocolattack-v33-stable",
      "sessionfixation-v33-stable",
    ])
    waf_sensitivity = optional(number, 1)
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["IP", "XFF_IP", "ALL", "HTTP_HEADER", "HTTP_COOKIE", "HTTP_PATH", "SNI", "REGION_CODE"], var.security_policy.rate_limit.enforce_on_key)
    error_message = "security_policy.rate_limit.enforce_on_key must be one of IP, XFF_IP, ALL, HTTP_HEADER, HTTP_COOKIE, HTTP_PATH, SNI, REGION_CODE."
  }

  validation {
    condition     = contains([10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600], var.security_policy.rate_limit.interval_sec)
    error_message = "security_policy.rate_limit.interval_sec must be one of 10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600."
  }

  validation {
    condition     = contains([10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600], var.security_policy.list_rate_limit.interval_sec) && var.security_policy.list_rate_limit.count >= 1
    error_message = "security_policy.list_rate_limit needs count at least 1 and interval_sec one of 10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600."
  }

  validation {
    condition     = var.security_policy.rate_limit.count >= 1 && var.security_policy.rate_limit.ban_duration_sec >= 60
    error_message = "security_policy.rate_limit.count must be at least 1 and ban_duration_sec at least 60."
  }

  validation {
    condition     = contains([1, 2, 3, 4], var.security_policy.waf_sensitivity)
    error_message = "security_policy.waf_sensitivity must be one of 1, 2, 3, 4 (1 has the fewest false positives)."
  }

  validation {
    condition     = length(var.security_policy.waf_rule_sets) > 0 && length(var.security_policy.waf_rule_sets) <= 100
    error_message = "security_policy.waf_rule_sets must list between 1 and 100 preconfigured rule sets."
  }
}
