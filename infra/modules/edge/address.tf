# The Gateway's frontend address, reserved so DNS never has to change when the
# Gateway or its load balancer is recreated.
resource "google_compute_global_address" "gateway" {
  project      = var.project_id
  name         = var.names.static_ip
  description  = "Frontend address of the kv Gateway (${var.hostname})."
  address_type = "EXTERNAL"
  ip_version   = "IPV4"
  labels       = var.labels
}
