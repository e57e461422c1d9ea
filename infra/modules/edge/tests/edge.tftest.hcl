# Offline tests of the edge module: the names the chart attaches to, TLS,
# and the Cloud Armor rules in front of the service.

mock_provider "google" {
  mock_resource "google_certificate_manager_dns_authorization" {
    defaults = {
      dns_resource_record = [{
        name = "_acme-challenge.kv.example.com."
        type = "CNAME"
        data = "0123456789abcdef.9.authorize.certificatemanager.goog."
      }]
    }
  }
}

variables {
  project_id = "example-kv-prod"
  hostname   = "kv.example.com"

  names = {
    certificate_map = "kv-cert-map"
    security_policy = "kv-edge-policy"
    ssl_policy      = "kv-ssl-policy"
    static_ip       = "kv-gateway-ip"
  }
}

run "resources_carry_the_names_the_chart_uses" {
  command = plan

  assert {
    condition     = google_compute_global_address.gateway.name == "kv-gateway-ip" && google_certificate_manager_certificate_map.this.name == "kv-cert-map" && google_compute_security_policy.this.name == "kv-edge-policy" && google_compute_ssl_policy.this.name == "kv-ssl-policy"
    error_message = "The Gateway attaches to these resources by name; the names must not drift."
  }

  assert {
    condition     = google_certificate_manager_certificate_map_entry.this.hostname == "kv.example.com" && google_certificate_manager_certificate.this.managed[0].domains == tolist(["kv.example.com"])
    error_message = "The managed certificate must cover the hostname through the map."
  }
}

run "tls_is_restricted_to_modern_ciphers" {
  command = plan

  assert {
    condition     = google_compute_ssl_policy.this.profile == "RESTRICTED" && google_compute_ssl_policy.this.min_tls_version == "TLS_1_2"
    error_message = "The SSL policy must be RESTRICTED with TLS 1.2 or later."
  }
}

run "cloud_armor_refuses_attacks_but_not_key_value_requests" {
  command = plan

  assert {
    condition = toset([
      for r in google_compute_security_policy.this.rule : r.match[0].expr[0].expression
      if r.action == "deny(403)" && try(strcontains(r.match[0].expr[0].expression, "evaluatePreconfiguredWaf("), false)
      ]) == toset([
      "evaluatePreconfiguredWaf('protocolattack-v33-stable', {'sensitivity': 1})",
      "evaluatePreconfiguredWaf('scannerdetection-v33-stable', {'sensitivity': 1})",
      "evaluatePreconfiguredWaf('sessionfixation-v33-stable', {'sensitivity': 1})",
      "evaluatePreconfiguredWaf('cve-canary')",
    ])
    error_message = "Only the rule sets that fit a key-value API may deny: no method enforcement (it refuses DELETE /delete) and no injection signatures over arbitrary values."
  }

  assert {
    condition = alltrue([
      for r in google_compute_security_policy.this.rule : r.preview
      if try(strcontains(r.match[0].expr[0].expression, "-v33-stable"), false)
    ])
    error_message = "New WAF rule sets must ship in preview."
  }

  assert {
    condition     = google_compute_security_policy.this.advanced_options_config[0].json_parsing == "DISABLED"
    error_message = "Request bodies are arbitrary values: no JSON parsing for signatures to look into."
  }

  assert {
    condition = anytrue([
      for r in google_compute_security_policy.this.rule :
      try(r.match[0].expr[0].expression, "") == "evaluatePreconfiguredWaf('cve-canary')" && r.preview == false
    ])
    error_message = "cve-canary (Log4Shell and similar) must be enforced, never only previewed."
  }

  assert {
    condition = anytrue([
      for r in google_compute_security_policy.this.rule :
      r.action == "throttle" && r.priority == 2000 && try(r.rate_limit_options[0].enforce_on_key == "IP" && r.rate_limit_options[0].exceed_action == "deny(429)" && r.rate_limit_options[0].rate_limit_threshold[0].count == 6000, false)
    ])
    error_message = "A per-client rate limit must throttle clients over the threshold with 429."
  }

  assert {
    condition     = !anytrue([for r in google_compute_security_policy.this.rule : r.action == "rate_based_ban"])
    error_message = "No rate-based ban: it would lock every client behind one NAT address out for its whole duration."
  }

  assert {
    condition = anytrue([
      for r in google_compute_security_policy.this.rule :
      r.action == "throttle" && try(r.match[0].expr[0].expression, "") == "request.path == '/list'" && try(r.rate_limit_options[0].exceed_action == "deny(429)" && r.rate_limit_options[0].rate_limit_threshold[0].count == 300, false) && r.priority < 2000
    ])
    error_message = "GET /list must have its own, smaller per-client budget (429 over it), matched before the general rate limit."
  }

  assert {
    condition     = google_compute_security_policy.this.adaptive_protection_config[0].layer_7_ddos_defense_config[0].enable
    error_message = "Adaptive Protection must be on."
  }

  assert {
    condition = anytrue([
      for r in google_compute_security_policy.this.rule : r.priority == 2147483647 && r.action == "allow"
    ])
    error_message = "The default rule must allow what no rule denied."
  }
}

run "outputs_the_record_that_validates_the_certificate" {
  command = apply

  assert {
    condition     = output.dns_authorization_record.type == "CNAME" && output.dns_authorization_record.name == "_acme-challenge.kv.example.com."
    error_message = "The DNS authorization record must be exposed for the public zone."
  }
}

run "rejects_an_unsupported_rate_limit_interval" {
  command = plan

  variables {
    security_policy = { rate_limit = { interval_sec = 45 } }
  }

  expect_failures = [var.security_policy]
}

run "rejects_an_out_of_range_waf_sensitivity" {
  command = plan

  variables {
    security_policy = { waf_rule_sets = { "scannerdetection-v33-stable" = { sensitivity = 5 } } }
  }

  expect_failures = [var.security_policy]
}

run "rejects_an_uppercase_hostname" {
  command = plan

  variables {
    hostname = "KV.example.com"
  }

  expect_failures = [var.hostname]
}

run "rejects_an_unsupported_list_rate_limit_interval" {
  command = plan

  variables {
    security_policy = { list_rate_limit = { interval_sec = 45 } }
  }

  expect_failures = [var.security_policy]
}

run "rejects_rule_sets_that_refuse_key_value_requests" {
  command = plan

  variables {
    security_policy = { waf_rule_sets = { "methodenforcement-v33-stable" = {}, "sqli-v33-stable" = {} } }
  }

  expect_failures = [var.security_policy]
}

run "certificate_map_entry_name_fits_for_a_long_hostname" {
  command = plan

  variables {
    hostname = "key-value-service.production.eu-west.platform.example-company.com"
  }

  assert {
    condition     = length(google_certificate_manager_certificate_map_entry.this.name) <= 63 && can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", google_certificate_manager_certificate_map_entry.this.name))
    error_message = "The certificate map entry name must stay a valid name of at most 63 characters for any hostname."
  }
}
