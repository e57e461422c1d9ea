provider "google" {
  project = var.project_id
  region  = var.region

  # Every resource that takes labels gets these, so cost and ownership are
  # visible without per-resource wiring.
  default_labels = {
    app         = "kv"
    environment = "prod"
    managed-by  = "terraform"
  }
}
