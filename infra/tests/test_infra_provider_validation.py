"""The google provider's own validators, which replaced module `validation`
blocks that only repeated them: a value the provider rejects fails
`terraform validate` with the provider's error. Each case is one resource
with one bad argument, checked against the built provider itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from infra.tests.toolchain import output_of, terraform

CASES = {
    # observability: slo.goal (the provider's upper bound, 0.9999)
    "slo_goal_above_four_nines": (
        """
resource "google_monitoring_slo" "this" {
  service             = "kv"
  goal                = 0.99999
  rolling_period_days = 28
  request_based_sli {
    good_total_ratio {
      good_service_filter  = "metric.type=\\"a\\""
      total_service_filter = "metric.type=\\"b\\""
    }
  }
}
""",
        "must be > 0 and <= 0.9999",
    ),
    # edge: security_policy.rate_limit.enforce_on_key
    "cloud_armor_rate_limit_key": (
        """
resource "google_compute_security_policy" "this" {
  name = "kv-edge-policy"
  rule {
    action   = "throttle"
    priority = 2000
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "COOKIE"
      rate_limit_threshold {
        count        = 10
        interval_sec = 60
      }
    }
  }
}
""",
        "enforce_on_key to be one of",
    ),
    # gke: maintenance.exclusions[*].scope
    "gke_maintenance_exclusion_scope": (
        """
resource "google_container_cluster" "this" {
  name     = "kv-prod"
  location = "us-central1"
  maintenance_policy {
    recurring_window {
      start_time = "2025-01-07T03:00:00Z"
      end_time   = "2025-01-07T07:00:00Z"
      recurrence = "FREQ=WEEKLY;BYDAY=TU"
    }
    maintenance_exclusion {
      exclusion_name = "freeze"
      start_time     = "2025-12-20T00:00:00Z"
      end_time       = "2025-12-27T00:00:00Z"
      exclusion_options {
        scope = "NO_PATCHES"
      }
    }
  }
}
""",
        "scope to be one of",
    ),
    # redis: cluster.node_type
    "redis_node_type": (
        """
resource "google_redis_cluster" "this" {
  name        = "kv-redis"
  shard_count = 3
  node_type   = "REDIS_STANDARD_HUGE"
}
""",
        "node_type to be one of",
    ),
    # redis: cluster.maintenance_day
    "redis_maintenance_day": (
        """
resource "google_redis_cluster" "this" {
  name        = "kv-redis"
  shard_count = 3
  maintenance_policy {
    weekly_maintenance_window {
      day = "SAT"
      start_time {
        hours = 4
      }
    }
  }
}
""",
        "day to be one of",
    ),
    # redis: cluster.rdb_snapshot_period
    "redis_rdb_snapshot_period": (
        """
resource "google_redis_cluster" "this" {
  name        = "kv-redis"
  shard_count = 3
  persistence_config {
    mode = "RDB"
    rdb_config {
      rdb_snapshot_period = "TWO_HOURS"
    }
  }
}
""",
        "rdb_snapshot_period to be one of",
    ),
}

PROVIDER_BLOCK = """
terraform {
  required_providers {
    google = {
      source = "hashicorp/google"
    }
  }
}
"""


def validate(config: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`terraform validate` of one configuration with the built provider."""
    work = tmp_path / "config"
    work.mkdir()
    (work / "main.tf").write_text(PROVIDER_BLOCK + config)
    return terraform(tmp_path, with_provider=True).run("validate", cwd=work)


@pytest.mark.parametrize("case", sorted(CASES))
def test_provider_rejects_what_the_module_no_longer_validates(case: str, tmp_path: Path) -> None:
    config, message = CASES[case]
    result = validate(config, tmp_path)
    assert result.returncode != 0, output_of(result)
    assert message in result.stderr, output_of(result)


def test_provider_accepts_the_four_nines_goal(tmp_path: Path) -> None:
    # The control for the first case: the objective itself is accepted.
    result = validate(CASES["slo_goal_above_four_nines"][0].replace("0.99999", "0.9999"), tmp_path)
    assert result.returncode == 0, output_of(result)
