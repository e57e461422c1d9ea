# Production values. Nothing here is secret. Other areas get these names from
# the `platform` output (platform.tf) through tools/generate.

project_id     = "example-kv-prod"
project_number = "123456789012"
region         = "us-central1"
zones          = ["us-central1-a", "us-central1-b", "us-central1-c"]
hostname       = "kv.example.com"

# Images
artifact_repository_id = "kv"
image_name             = "kv"

# Edge (the chart's Gateway attaches to these by name)
cloud_armor_policy_name = "kv-edge-policy"
ssl_policy_name         = "kv-ssl-policy"
static_ip_name          = "kv-gateway-ip"
certificate_map_name    = "kv-cert-map"

# Kubernetes and its identities
gke_cluster_name            = "kv-prod"
k8s_namespace               = "kv"
k8s_service_account         = "kv"
k8s_service_name            = "kv"
k8s_service_port            = 80
workload_service_account_id = "kv-workload"
write_tokens_secret_id      = "kv-write-tokens"

# Images besides our repository that may run (Binary Authorization denies the
# rest): Argo CD's upstream install (deploy/argocd/bootstrap/argo-cd).
binary_authorization_allowed_images = [
  "quay.io/argoproj/*",
  "ghcr.io/dexidp/*",
  "public.ecr.aws/docker/library/redis*",
]

# CI identity (Workload Identity Federation for Buildkite)
ci_service_account_id  = "kv-ci-pusher"
buildkite_organization = "example-org"
buildkite_pipeline     = "kv"
wif_pool_id            = "buildkite"
wif_provider_id        = "buildkite-oidc"

# Alerts (notification_channels may add pagers)
oncall_email = "kv-oncall@example.com"

# Redis
redis_cluster_name = "kv-redis"
redis_dns_name     = "redis.kv.internal"

# Capacity, from tools/benchmark/CAPACITY.md (checked by its tests): the HPA
# minimum of 15 pods is 5 per zone, 2 nodes of 4 vCPU each; the maximum of
# 27 is 9 per zone, inside 4 nodes. Two replicas per shard, so that a write
# that waits for one (WAIT 1) still succeeds while a replica is replaced.
# The shard count and node type are the plan's own (capacity.auto.tfvars,
# generated from it). Cost: infra/README.md.
gke_machine_type       = "n2d-standard-4"
gke_min_nodes_per_zone = 2
gke_max_nodes_per_zone = 4
redis_replica_count    = 2
