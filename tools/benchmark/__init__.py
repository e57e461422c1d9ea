"""tools/bench: the kv service against the upstream app and the floor of its stack."""
