"""Prod's write durability and infra's Redis shape fit together: a write
that waits for N replicas needs a replica to spare, or the loss of one
replica fails every write on its shard until Memorystore replaces it."""

from __future__ import annotations

import yaml

from deploy.tests.manifests import PROD
from tools.generation.generate import committed_platform


def test_redis_has_a_replica_to_spare_beyond_what_writes_wait_for() -> None:
    replicas = committed_platform()["capacity"]["redis_replica_count"]
    waited_for = yaml.safe_load((PROD / "values.yaml").read_text())["writes"]["minReplicas"]
    assert replicas >= waited_for + 1, (
        f"writes wait for {waited_for} replicas but each shard has {replicas} "
        "(redis_replica_count in infra/envs/prod/terraform.tfvars)"
    )
