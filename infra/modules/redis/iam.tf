# IAM authentication to the cluster: the workload may connect (and nothing
# else; it cannot administer the cluster).
resource "google_project_iam_member" "workload_redis_connection" {
  project = var.project_id
  role    = "roles/redis.dbConnectionUser"
  member  = "serviceAccount:${var.workload_service_account_email}"
}
