"""The names the chart's prod render, the Argo CD objects and the platform
Gateway refer to are the ones Terraform creates (infra/envs/prod/terraform.tfvars,
and, where the prod root keeps a module's default, that module's variables):
one source, or this fails."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import yaml

from deploy.tests.manifests import PROD, Manifest, container, env_of, find
from tools.testkit.tooling import REPO_ROOT

INFRA_PROD = REPO_ROOT / "infra" / "envs" / "prod"


@pytest.fixture(scope="module")
def tfvars() -> dict[str, str]:
    """The flat `key = "value"` string assignments of the prod tfvars."""
    path = INFRA_PROD / "terraform.tfvars"
    if not path.is_file():
        pytest.fail(f"{path} is missing: it is the source of the names deploy/ uses", pytrace=False)
    pairs = re.findall(r'^\s*(\w+)\s*=\s*"([^"]*)"', path.read_text(), re.MULTILINE)
    return dict(pairs)


def module_default(module: str, variable: str, key: str, tfvars: dict[str, str]) -> str:
    """A name the prod root takes from a module's default: the tfvars value
    when the root exposes one, else the module's `key = optional(string, "...")`
    default, provided the prod root does not override that variable."""
    if key in tfvars:
        return tfvars[key]
    root = (INFRA_PROD / "main.tf").read_text()
    block = re.search(rf'module "{module}" \{{(.*?)\n\}}', root, re.DOTALL)
    assert block, f"module {module} not found in infra/envs/prod/main.tf"
    assert not re.search(rf"^\s*{variable}\s*=", block[1], re.MULTILINE), (
        f"the prod root overrides {module}.{variable}: expose {key} in terraform.tfvars "
        "so deploy/ can be checked against it"
    )
    variables = (REPO_ROOT / "infra" / "modules" / module / "variables.tf").read_text()
    default = re.search(rf'\b{key}\s*=\s*optional\(string,\s*"([^"]+)"\)', variables)
    assert default, f"default of {key} not found in infra/modules/{module}/variables.tf"
    return default[1]


def test_image_repository_is_the_artifact_registry_repository(
    tfvars: dict[str, str], prod_manifests: list[Manifest]
) -> None:
    expected = (
        f"{tfvars['region']}-docker.pkg.dev/{tfvars['project_id']}/"
        f"{tfvars['artifact_repository_id']}/{tfvars['image_name']}"
    )
    image = yaml.safe_load((PROD / "image.yaml").read_text())["image"]
    assert image["repository"] == expected
    assert container(prod_manifests)["image"].startswith(expected + "@")


def test_workload_identity_names_the_workload_service_account_and_ksa(
    tfvars: dict[str, str], prod_manifests: list[Manifest]
) -> None:
    ksa = find(prod_manifests, "ServiceAccount")
    gsa = f"{tfvars['workload_service_account_id']}@{tfvars['project_id']}.iam.gserviceaccount.com"
    assert ksa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"] == gsa
    assert ksa["metadata"]["name"] == tfvars["k8s_service_account"]
    deployment = find(prod_manifests, "Deployment")
    assert (
        deployment["spec"]["template"]["spec"]["serviceAccountName"]
        == tfvars["k8s_service_account"]
    )
    assert {m["metadata"]["namespace"] for m in prod_manifests} == {tfvars["k8s_namespace"]}


def test_cloud_armor_policy_and_hostname_match_the_edge(
    tfvars: dict[str, str], prod_manifests: list[Manifest]
) -> None:
    policy = find(prod_manifests, "GCPBackendPolicy")
    assert policy["spec"]["default"]["securityPolicy"] == tfvars["cloud_armor_policy_name"]
    assert find(prod_manifests, "HTTPRoute")["spec"]["hostnames"] == [tfvars["hostname"]]


def test_redis_endpoint_is_the_private_dns_name_and_psc_subnet(
    tfvars: dict[str, str], prod_manifests: list[Manifest]
) -> None:
    psc_cidr = module_default("network", "subnets", "psc_cidr", tfvars)
    url = urlsplit(env_of(prod_manifests)["REDIS_URL"])
    assert url.scheme == "rediss"
    assert url.hostname == tfvars["redis_dns_name"].rstrip(".")
    egress = find(prod_manifests, "NetworkPolicy")["spec"]["egress"]
    redis_rule = next(
        rule for rule in egress if {"port": url.port, "protocol": "TCP"} in rule["ports"]
    )
    assert redis_rule["to"] == [{"ipBlock": {"cidr": psc_cidr}}]


def test_secret_manager_secrets_are_the_ones_terraform_creates(
    tfvars: dict[str, str], prod_manifests: list[Manifest]
) -> None:
    secrets = yaml.safe_load(
        find(prod_manifests, "SecretProviderClass")["spec"]["parameters"]["secrets"]
    )
    expected = {
        module_default("redis", "secrets", key, tfvars)
        for key in ("ca_secret_id", "write_tokens_secret_id")
    }
    assert {s["resourceName"] for s in secrets} == {
        f"projects/{tfvars['project_id']}/secrets/{secret}/versions/latest" for secret in expected
    }


def test_platform_gateway_uses_the_terraform_address_certificates_and_ssl_policy(
    tfvars: dict[str, str], gitops_manifests: list[Manifest]
) -> None:
    gateway = find(gitops_manifests, "Gateway", "external")
    assert gateway["spec"]["gatewayClassName"] == "gke-l7-global-external-managed"
    assert gateway["spec"]["addresses"] == [
        {"type": "NamedAddress", "value": tfvars["static_ip_name"]}
    ]
    assert (
        gateway["metadata"]["annotations"]["networking.gke.io/certmap"]
        == tfvars["certificate_map_name"]
    )
    ssl = find(gitops_manifests, "GCPGatewayPolicy", "external")
    assert ssl["spec"]["default"]["sslPolicy"] == tfvars["ssl_policy_name"]


def test_kv_application_deploys_to_the_terraform_namespace(
    tfvars: dict[str, str], gitops_manifests: list[Manifest]
) -> None:
    app = find(gitops_manifests, "Application", "kv")
    assert app["spec"]["destination"]["namespace"] == tfvars["k8s_namespace"]
    assert app["spec"]["source"]["helm"]["releaseName"] == tfvars["k8s_service_account"]


def test_chart_default_image_repository_is_the_artifact_registry_repository(
    tfvars: dict[str, str],
) -> None:
    defaults = yaml.safe_load((REPO_ROOT / "deploy" / "charts" / "kv" / "values.yaml").read_text())
    assert defaults["image"]["repository"] == (
        f"{tfvars['region']}-docker.pkg.dev/{tfvars['project_id']}/"
        f"{tfvars['artifact_repository_id']}/{tfvars['image_name']}"
    )


def test_network_policy_admits_exactly_the_ranges_the_firewall_admits() -> None:
    firewall = (REPO_ROOT / "infra" / "modules" / "network" / "firewall.tf").read_text()
    block = re.search(r'"allow_lb_health_checks" \{(.*?)\n\}', firewall, re.DOTALL)
    assert block, "allow_lb_health_checks not found in infra/modules/network/firewall.tf"
    source_ranges = re.search(r"source_ranges = \[(.*?)\]", block[1], re.DOTALL)
    assert source_ranges
    firewall_cidrs = set(re.findall(r'"([0-9./]+)"', source_ranges[1]))
    defaults = yaml.safe_load((REPO_ROOT / "deploy" / "charts" / "kv" / "values.yaml").read_text())
    assert set(defaults["networkPolicy"]["loadBalancerCIDRs"]) == firewall_cidrs


def test_redis_has_a_replica_to_spare_beyond_what_writes_wait_for() -> None:
    # WAIT N with exactly N replicas turns the loss of one replica into failed
    # writes on that shard until Memorystore replaces it.
    tfvars_text = (INFRA_PROD / "terraform.tfvars").read_text()
    replicas = re.search(r"^redis_replica_count\s*=\s*(\d+)", tfvars_text, re.MULTILINE)
    assert replicas, "redis_replica_count not in infra/envs/prod/terraform.tfvars"
    prod = yaml.safe_load((PROD / "values.yaml").read_text())
    assert int(replicas[1]) >= prod["writes"]["minReplicas"] + 1
