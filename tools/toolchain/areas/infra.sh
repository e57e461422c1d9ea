# shellcheck shell=bash
# Terraform (infra/): the CLI, tflint, checkov.
kv_terraform
kv_go_tool tflint github.com/terraform-linters/tflint "v$(kv_pin tflint)"
kv_pip_tool checkov "$KV_ROOT/tools/checkov/requirements.lock"
