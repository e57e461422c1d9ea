locals {
  # Priorities: cve-canary at 900, the other WAF rule sets from 1000 (in
  # name order), the
  # /list throttle and then the rate limit after them, and the mandatory
  # default rule last.
  waf_rules = {
    for index, rule_set in sort(keys(var.security_policy.waf_rule_sets)) :
    rule_set => merge(var.security_policy.waf_rule_sets[rule_set], { priority = 1000 + index })
  }
  list_limit_priority = 1990
  rate_limit_priority = 2000
}

resource "google_compute_security_policy" "this" {
  project     = var.project_id
  name        = var.names.security_policy
  description = "Edge policy of the kv Gateway: WAF rule sets that fit a key-value API, per-client throttles, Adaptive Protection."
  type        = "CLOUD_ARMOR"

  # Bodies are not parsed as JSON: no rule set here looks at body values,
  # which are arbitrary strings in a key-value store.
  advanced_options_config {
    json_parsing = "DISABLED"
    log_level    = "NORMAL"
  }

  adaptive_protection_config {
    layer_7_ddos_defense_config {
      enable          = var.security_policy.adaptive_protection
      rule_visibility = "STANDARD"
    }
  }

  dynamic "rule" {
    for_each = local.waf_rules
    content {
      action      = "deny(403)"
      priority    = rule.value.priority
      preview     = rule.value.preview
      description = "Preconfigured WAF rule set ${rule.key}${rule.value.preview ? " (preview)" : ""}."
      match {
        expr {
          expression = "evaluatePreconfiguredWaf('${rule.key}', {'sensitivity': ${rule.value.sensitivity}})"
        }
      }
    }
  }

  # Known-exploited CVEs (Log4Shell and the like) are blocked at full
  # sensitivity and never only previewed.
  rule {
    action      = "deny(403)"
    priority    = 900
    preview     = false
    description = "Preconfigured WAF rule set cve-canary (always enforced)."
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('cve-canary')"
      }
    }
  }

  # GET /list is a bulk read: one request may walk the whole key space and
  # hold a batch of values in a pod's memory. Each client gets its own,
  # smaller budget for it; requests over it get 429 until the window moves.
  # (Matched here, /list requests are not counted by the general rule below.)
  rule {
    action      = "throttle"
    priority    = local.list_limit_priority
    description = "GET /list throttle: ${var.security_policy.list_rate_limit.count} requests per ${var.security_policy.list_rate_limit.interval_sec}s per client."
    match {
      expr {
        expression = "request.path == '/list'"
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = var.security_policy.rate_limit.enforce_on_key
      rate_limit_threshold {
        count        = var.security_policy.list_rate_limit.count
        interval_sec = var.security_policy.list_rate_limit.interval_sec
      }
    }
  }

  # One client (by enforce_on_key) over the threshold gets 429 for the
  # requests over it, and is served again as soon as it slows down. No ban:
  # many clients behind one NAT address share a key, and a ban would lock
  # all of them out for its whole duration.
  rule {
    action      = "throttle"
    priority    = local.rate_limit_priority
    description = "Per-client rate limit: ${var.security_policy.rate_limit.count} requests per ${var.security_policy.rate_limit.interval_sec}s."
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = var.security_policy.rate_limit.enforce_on_key
      rate_limit_threshold {
        count        = var.security_policy.rate_limit.count
        interval_sec = var.security_policy.rate_limit.interval_sec
      }
    }
  }

  rule {
    action      = "allow"
    priority    = 2147483647
    description = "Default: allow what no rule above denied."
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }
}
