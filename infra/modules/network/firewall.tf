locals {
  # Where the global external Application Load Balancer's front ends and
  # health checkers connect from (Google publishes these two ranges).
  load_balancer_ranges = ["35.191.0.0/16", "130.211.0.0/22"]
}

# Google's front ends and health checkers reach the serving port on the nodes
# (container-native load balancing sends traffic straight to pod IPs).
resource "google_compute_firewall" "allow_lb_health_checks" {
  project       = var.project_id
  name          = "${var.name}-allow-lb-health-checks"
  network       = google_compute_network.this.id
  description   = "Google Cloud load balancer health checks and proxies to the serving port."
  direction     = "INGRESS"
  priority      = 1000
  source_ranges = local.load_balancer_ranges
  target_tags   = [var.firewall.node_tag]

  allow {
    protocol = "tcp"
    ports    = [for p in var.firewall.lb_ports : tostring(p)]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# Everything else inbound is denied and logged, so an accidental broader rule
# elsewhere shows up in the logs rather than silently allowing traffic.
# GKE's own rules (control plane to nodes, intra-cluster) sit at priority 1000.
resource "google_compute_firewall" "deny_all_ingress" {
  project       = var.project_id
  name          = "${var.name}-deny-all-ingress"
  network       = google_compute_network.this.id
  description   = "Baseline: deny and log any ingress not allowed by a more specific rule."
  direction     = "INGRESS"
  priority      = 65534
  source_ranges = ["0.0.0.0/0"]

  deny {
    protocol = "all"
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}
