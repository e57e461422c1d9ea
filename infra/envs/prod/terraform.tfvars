# Production values. Nothing here is secret. The flat string assignments are
# also read by other parts of the repository (deploy/, .buildkite/, tests)
# with a simple KEY = "VALUE" parser: keep them one per line.

project_id = "example-kv-prod"
region     = "us-central1"
zones      = ["us-central1-a", "us-central1-b", "us-central1-c"]
hostname   = "kv.example.com"

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
workload_service_account_id = "kv-workload"

# Images besides our repository that may run (Binary Authorization denies the
# rest): Argo CD's upstream install (deploy/argocd/bootstrap/argo-cd).
binary_authorization_allowlist = [
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

# Redis
redis_cluster_name = "kv-redis"
redis_dns_name     = "redis.kv.internal"

# Capacity (tuned by the performance work; see infra/README.md for the cost)
gke_machine_type       = "n2d-standard-4"
gke_min_nodes_per_zone = 1
gke_max_nodes_per_zone = 4
redis_node_type        = "REDIS_HIGHMEM_MEDIUM"
redis_shard_count      = 3
redis_replica_count    = 1
