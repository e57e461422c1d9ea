# tflint for every module and root under infra/ (infra/tests/test_infra_lint.py
# runs it per directory, without the google plugin). The google ruleset checks
# values the provider only rejects at apply time (machine types, enum fields,
# ...); it runs in CI, where `tflint --init` can fetch it.

config {
  # Lint the root together with the local modules it calls, with tfvars.
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}

# Modules use descriptive file names (cluster.tf, node_pools.tf), not main.tf.
rule "terraform_standard_module_structure" {
  enabled = false
}

# Fetched by `tflint --init` (TFLINT_RULESET_GOOGLE_VERSION in
# tools/versions.env); the Go module proxy refuses every version of it, so
# machines without GitHub lint with the Terraform rules only (infra/README.md).
plugin "google" {
  enabled = true
  version = "0.28.0"
  source  = "github.com/terraform-linters/tflint-ruleset-google"
}
