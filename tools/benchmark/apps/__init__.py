"""The two reference servers the benchmark measures the service against."""
