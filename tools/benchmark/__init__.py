"""tools/bench: the kv service against a naive starter and a hello-world ceiling."""
