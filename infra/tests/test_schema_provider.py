"""The google provider stand-in (infra/tools/schema-provider) and the schema it
serves (infra/tools/provider_schema.py from the 7.x bindings).

The negative controls prove that `terraform validate` with the stand-in
really checks configurations against the provider's schema: each mistake
below must fail, and the same configuration without it must pass. The schema
facts pin what the converter derives on resources this repository uses,
against the real provider's documented schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.tests.toolchain import SCHEMA_FILE, google_provider_dir, output_of, terraform
from infra.tools.provider_schema import parse_js_module

PROVIDER = "registry.terraform.io/hashicorp/google"

VALID_CLUSTER = """
resource "google_redis_cluster" "this" {
  name        = "kv-redis"
  shard_count = 3
  labels      = { app = "kv" }
  psc_configs {
    network = "projects/p/global/networks/kv"
  }
  persistence_config {
    mode = "AOF"
  }
}
"""

# Each mistake: (the valid config's line, its replacement, what Terraform says).
MISTAKES = {
    "misspelt_argument": ("shard_count = 3", "shard_cuont = 3", "Unsupported argument"),
    "missing_required_argument": ("shard_count = 3", "", 'The argument "shard_count" is required'),
    "wrong_type": (
        'labels      = { app = "kv" }',
        'labels = "kv"',
        "Incorrect attribute value type",
    ),
    "unknown_block": ("persistence_config {", "persistance_config {", "Unsupported block type"),
    "too_many_blocks": (
        "persistence_config {",
        'persistence_config {\n    mode = "RDB"\n  }\n  persistence_config {',
        "Too many persistence_config blocks",
    ),
    "computed_only_attribute_set": (
        "shard_count = 3",
        'shard_count = 3\n  uid = "x"',
        "read-only: uid",
    ),
    "unknown_resource_type": (
        "google_redis_cluster",
        "google_redis_clustr",
        "Invalid resource type",
    ),
}


def validate(tmp_path: Path, config: str) -> tuple[int, str]:
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text(config)
    result = terraform(tmp_path, with_provider=True).run("validate", cwd=module)
    return result.returncode, output_of(result)


def test_a_config_that_matches_the_schema_is_valid(tmp_path: Path) -> None:
    code, output = validate(tmp_path, VALID_CLUSTER)
    assert code == 0, output


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_validate_rejects_a_config_that_breaks_the_schema(mistake: str, tmp_path: Path) -> None:
    old, new, message = MISTAKES[mistake]
    assert old in VALID_CLUSTER
    code, output = validate(tmp_path, VALID_CLUSTER.replace(old, new, 1))
    assert code != 0, output
    assert message in " ".join(output.split()), output


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((google_provider_dir() / SCHEMA_FILE).read_text())
    provider: dict[str, Any] = document["provider_schemas"][PROVIDER]
    return provider


def node(schema: dict[str, Any], kind: str, type_name: str, *path: str) -> dict[str, Any]:
    """An attribute or block type inside a resource or data source schema."""
    block = schema[kind][type_name]["block"]
    for name in path[:-1]:
        block = block["block_types"][name]["block"]
    found: dict[str, Any] = {
        **block.get("attributes", {}),
        **block.get("block_types", {}),
    }[path[-1]]
    return {k: v for k, v in found.items() if k != "block"}


# (schema kind, type, path, expected) as the real provider declares them.
FACTS = [
    (
        "resource_schemas",
        "google_redis_cluster",
        ("shard_count",),
        {"type": "number", "required": True},
    ),
    (
        "resource_schemas",
        "google_redis_cluster",
        ("id",),
        {"type": "string", "optional": True, "computed": True},
    ),
    ("resource_schemas", "google_redis_cluster", ("uid",), {"type": "string", "computed": True}),
    ("resource_schemas", "google_redis_cluster", ("psc_configs",), {"nesting_mode": "list"}),
    (
        "resource_schemas",
        "google_redis_cluster",
        ("persistence_config",),
        {"nesting_mode": "list", "max_items": 1},
    ),
    (
        "resource_schemas",
        "google_container_cluster",
        ("name",),
        {"type": "string", "required": True},
    ),
    (
        "resource_schemas",
        "google_container_cluster",
        ("endpoint",),
        {"type": "string", "computed": True},
    ),
    (
        "resource_schemas",
        "google_container_cluster",
        ("node_config",),
        {"nesting_mode": "list", "max_items": 1},
    ),
    ("resource_schemas", "google_container_cluster", ("timeouts",), {"nesting_mode": "single"}),
    (
        "resource_schemas",
        "google_container_cluster",
        ("node_config", "effective_taints"),
        {
            "type": ["list", ["object", {"effect": "string", "key": "string", "value": "string"}]],
            "computed": True,
        },
    ),
    ("resource_schemas", "google_compute_security_policy", ("rule",), {"nesting_mode": "set"}),
    (
        "resource_schemas",
        "google_compute_security_policy",
        ("rule", "priority"),
        {"type": "number", "required": True},
    ),
    (
        "resource_schemas",
        "google_compute_security_policy",
        ("rule", "preview"),
        {"type": "bool", "optional": True},
    ),
    ("resource_schemas", "google_compute_firewall", ("allow",), {"nesting_mode": "set"}),
    (
        "resource_schemas",
        "google_iam_workload_identity_pool_provider",
        ("workload_identity_pool_provider_id",),
        {"type": "string", "required": True},
    ),
    (
        "resource_schemas",
        "google_iam_workload_identity_pool_provider",
        ("attribute_mapping",),
        {"type": ["map", "string"], "optional": True},
    ),
    (
        "resource_schemas",
        "google_iam_workload_identity_pool_provider",
        ("oidc", "issuer_uri"),
        {"type": "string", "required": True},
    ),
    (
        "data_source_schemas",
        "google_client_config",
        ("access_token",),
        {"type": "string", "computed": True},
    ),
]


@pytest.mark.parametrize(
    ("kind", "type_name", "path", "expected"),
    FACTS,
    ids=[f"{f[1]}.{'.'.join(f[2])}" for f in FACTS],
)
def test_converted_schema_matches_the_provider(
    schema: dict[str, Any],
    kind: str,
    type_name: str,
    path: tuple[str, ...],
    expected: dict[str, Any],
) -> None:
    assert node(schema, kind, type_name, *path) == expected


def test_converted_schema_covers_the_whole_provider(schema: dict[str, Any]) -> None:
    # 7.31.0 has about 1,200 resources and 400 data sources; a converter that
    # silently dropped a family of them would fall well short.
    assert len(schema["resource_schemas"]) > 1200
    assert len(schema["data_source_schemas"]) > 400
    provider = schema["provider"]["block"]
    assert provider["attributes"]["project"] == {"type": "string", "optional": True}
    assert "alias" not in provider["attributes"], "cdktf's meta-argument is not a provider argument"


def test_generated_javascript_is_read_for_names_nesting_and_computed_getters() -> None:
    module = parse_js_module(
        "class Thing extends cdktn.TerraformResource {\n"
        "    get uid() {\n        return this.getStringAttribute('uid');\n    }\n"
        "    get tags() {\n        return cdktn.Fn.tolist(this.getListAttribute('tags'));\n    }\n"
        "    synthesizeHclAttributes() {\n        const attrs = {\n"
        "            rule: {\n"
        "                value: cdktn.listMapperHcl(thingRuleToHclTerraform, true)(this._rule.internalValue),\n"
        "                isBlock: true,\n"
        '                type: "set",\n'
        '                storageClassType: "ThingRuleList",\n'
        "            },\n        };\n    }\n}\n"
    )
    assert module.getters["Thing"] == {
        "uid": "this.getStringAttribute('uid')",
        "tags": "cdktn.Fn.tolist(this.getListAttribute('tags'))",
    }
    [rule] = module.synth["Thing"]
    assert (rule.name, rule.camel, rule.is_block, rule.nesting) == ("rule", "rule", True, "set")
