# Offline tests of the ci_identity module: only our Buildkite pipeline can
# exchange its token, and the identity it gets can push to one repository.

mock_provider "google" {
  # Provider-side validation runs on mocked values in apply runs: service
  # account names and emails must look real.
  mock_resource "google_service_account" {
    defaults = {
      name   = "projects/example-kv-prod/serviceAccounts/kv-ci-pusher@example-kv-prod.iam.gserviceaccount.com"
      email  = "kv-ci-pusher@example-kv-prod.iam.gserviceaccount.com"
      member = "serviceAccount:kv-ci-pusher@example-kv-prod.iam.gserviceaccount.com"
    }
  }

  mock_resource "google_iam_workload_identity_pool" {
    defaults = {
      name = "projects/123456789012/locations/global/workloadIdentityPools/buildkite"
    }
  }

  mock_resource "google_iam_workload_identity_pool_provider" {
    defaults = {
      name = "projects/123456789012/locations/global/workloadIdentityPools/buildkite/providers/buildkite-oidc"
    }
  }
}

variables {
  project_id         = "example-kv-prod"
  service_account_id = "kv-ci-pusher"

  buildkite = {
    organization = "example-org"
    pipeline     = "kv"
  }

  repository = {
    location      = "us-central1"
    repository_id = "kv"
  }
}

run "token_exchange_is_pinned_to_the_organization_pipeline_and_branch" {
  command = plan

  assert {
    condition     = google_iam_workload_identity_pool_provider.this.attribute_condition == "assertion.organization_slug == 'example-org' && assertion.pipeline_slug == 'kv' && assertion.build_branch in ['main'] && assertion.step_key in ['push']"
    error_message = "The attribute condition must pin organization, pipeline, branch and the push step (no other step of a main build may push)."
  }

  assert {
    condition     = google_iam_workload_identity_pool_provider.this.attribute_mapping["google.subject"] == "'buildkite-job:' + assertion.job_id"
    error_message = "google.subject must be bounded (127 bytes at most): map the fixed-length job id, not Buildkite's sub."
  }

  assert {
    condition     = google_iam_workload_identity_pool_provider.this.oidc[0].issuer_uri == "https://agent.buildkite.com"
    error_message = "Only Buildkite's agent OIDC issuer may be trusted."
  }

  assert {
    condition     = google_iam_workload_identity_pool.this.workload_identity_pool_id == "buildkite" && google_iam_workload_identity_pool_provider.this.workload_identity_pool_provider_id == "buildkite-oidc"
    error_message = "Pool and provider ids must be buildkite / buildkite-oidc."
  }
}

run "pusher_can_write_to_the_one_repository_only" {
  command = apply

  assert {
    condition     = google_artifact_registry_repository_iam_member.pusher.role == "roles/artifactregistry.writer" && google_artifact_registry_repository_iam_member.pusher.repository == "kv" && google_artifact_registry_repository_iam_member.pusher.location == "us-central1"
    error_message = "The pusher gets the writer role on the kv repository and nothing else."
  }

  assert {
    condition     = google_service_account_iam_member.pusher_wif.role == "roles/iam.workloadIdentityUser" && google_service_account_iam_member.pusher_wif.member == "principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/buildkite/attribute.pipeline_slug/kv"
    error_message = "Only identities of the kv pipeline may impersonate the pusher."
  }

  assert {
    condition     = output.provider_audience == "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/buildkite/providers/buildkite-oidc"
    error_message = "The audience must be the provider's full resource name."
  }
}

run "rejects_a_slug_that_could_change_the_condition" {
  command = plan

  variables {
    buildkite = { organization = "example-org' || true || '", pipeline = "kv" }
  }

  expect_failures = [var.buildkite]
}

run "rejects_an_empty_branch_list" {
  command = plan

  variables {
    buildkite = { organization = "example-org", pipeline = "kv", branches = [] }
  }

  expect_failures = [var.buildkite]
}

run "rejects_a_plain_http_issuer" {
  command = plan

  variables {
    pool = { issuer_uri = "http://agent.buildkite.com" }
  }

  expect_failures = [var.pool]
}
