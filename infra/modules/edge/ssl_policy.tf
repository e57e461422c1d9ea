# TLS 1.2+ with the RESTRICTED profile's ciphers (the platform Gateway's
# GCPGatewayPolicy, deploy/platform/gateway, references it by name). Not configurable: clients of a JSON API over HTTPS
# have no reason to need older protocols or weaker ciphers.
resource "google_compute_ssl_policy" "this" {
  project         = var.project_id
  name            = var.names.ssl_policy
  description     = "TLS policy of the kv Gateway."
  profile         = "RESTRICTED"
  min_tls_version = "TLS_1_2"
}
