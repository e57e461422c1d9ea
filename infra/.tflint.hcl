# tflint for every module and root under infra/ (infra/tests/test_infra_lint.py
# runs it per directory). The google ruleset checks values the provider only
# rejects at apply time (machine types, enum fields, ...).

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

# Installed by `tflint --init`, or found in TFLINT_PLUGIN_DIR (tools/test
# installs this version there).
plugin "google" {
  enabled = true
  version = "0.39.0"
  source  = "github.com/terraform-linters/tflint-ruleset-google"
}
