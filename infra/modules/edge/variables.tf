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
  description = "Cloud Armor (README: why each rule): preconfigured WAF rule sets, each with its sensitivity (1-4) and preview flag (new rule sets ship in preview: matches are logged and alerted on, not enforced; the cve-canary set is always enforced on its own); per-client throttles that answer 429 only while a client is over its budget (list_rate_limit: a smaller budget for the bulk GET /list; rate_limit: every other request; enforce_on_key as the provider accepts); and Adaptive Protection."
  type = object({
    adaptive_protection = optional(bool, true)
    list_rate_limit = optional(object({
      count        = optional(number, 300)
      interval_sec = optional(number, 60)
    }), {})
    rate_limit = optional(object({
      count          = optional(number, 6000)
      enforce_on_key = optional(string, "IP")
      interval_sec   = optional(number, 60)
    }), {})
    waf_rule_sets = optional(map(object({
      preview     = optional(bool, true)
      sensitivity = optional(number, 1)
      })), {
      "protocolattack-v33-stable"   = {}
      "scannerdetection-v33-stable" = {}
      "sessionfixation-v33-stable"  = {}
    })
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains([10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600], var.security_policy.rate_limit.interval_sec)
    error_message = "security_policy.rate_limit.interval_sec must be one of 10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600."
  }

  validation {
    condition     = contains([10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600], var.security_policy.list_rate_limit.interval_sec) && var.security_policy.list_rate_limit.count >= 1
    error_message = "security_policy.list_rate_limit needs count at least 1 and interval_sec one of 10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600."
  }

  validation {
    condition     = var.security_policy.rate_limit.count >= 1
    error_message = "security_policy.rate_limit.count must be at least 1."
  }

  validation {
    condition     = alltrue([for r in values(var.security_policy.waf_rule_sets) : contains([1, 2, 3, 4], r.sensitivity)])
    error_message = "Every security_policy.waf_rule_sets sensitivity must be one of 1, 2, 3, 4 (1 has the fewest false positives)."
  }

  # A key-value store holds arbitrary strings: the injection signatures
  # (sqli, xss, lfi, rfi, rce, php, java, nodejs) would refuse legitimate
  # values, and method enforcement refuses DELETE (README).
  validation {
    condition = alltrue([
      for name in keys(var.security_policy.waf_rule_sets) :
      !can(regex("^(sqli|xss|lfi|rfi|rce|php|java|nodejs|methodenforcement)-", name))
    ])
    error_message = "security_policy.waf_rule_sets must not include the injection or method-enforcement rule sets: they refuse legitimate key-value requests (see the module README)."
  }

  validation {
    condition     = length(var.security_policy.waf_rule_sets) <= 90
    error_message = "security_policy.waf_rule_sets may list at most 90 preconfigured rule sets (priorities 1000-1089)."
  }
}
