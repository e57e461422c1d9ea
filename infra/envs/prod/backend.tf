# State lives in a versioned GCS bucket created once by hand (infra/README.md,
# "First-time bootstrap"); GCS locks natively, so no lock table is needed.
terraform {
  backend "gcs" {
    bucket = "example-kv-prod-tfstate"
    prefix = "envs/prod"
  }
}
